"""A peft text LoRA as a llama.cpp GGUF adapter, so the embedded model can run it.

`simsocial.media.text_lora` saves peft's ``adapter_config.json`` and ``adapter_model.safetensors``
for SmolLM2 (a llama-architecture model); llama.cpp reads adapters as GGUF files with
``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha`` and, per adapted
weight, ``<tensor>.lora_a`` / ``<tensor>.lora_b``. Three things matter beyond the names:

- Orientation: peft's A is (rank, in) and B is (out, rank) in numpy order; GGUF stores shapes
  reversed, so A becomes ne = [in, rank] and B ne = [rank, out], which is what llama.cpp checks
  against the base weight's ne = [in, out]. Both are written as they are, in float32.
- Rotary layout: llama's HF -> GGUF conversion reorders the rows of q_proj and k_proj (per
  head, the interleaved halves llama.cpp's rope expects); B produces those rows, so it gets the
  same row permutation (A acts on the input side and is unchanged).
- Scale: llama.cpp applies ``alpha / rank`` (rank read from B); peft applies the same unless
  ``use_rslora`` (``alpha / sqrt(rank)``), whose extra factor is folded into B.

The head counts come from the base GGUF's header. The result is cached as
``<adapter dir>/adapter.gguf`` (written whole under a temporary name, then renamed) and redone
when the adapter's files or the base's head counts change: the GGUF records a digest of them.

Only numpy is needed to read the adapter; writing the GGUF needs the ``gguf`` package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import struct
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
CONVERTED_FILE = "adapter.gguf"
SOURCE_KEY = "simsocial.adapter.source"  # digest of what the GGUF was converted from
GGUF_HINT = "converting a peft adapter needs the gguf package: pip install gguf"

# peft module path (under base_model.model.model.layers.{i}.) -> llama.cpp tensor name
MODULES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_TENSOR = re.compile(r"base_model\.model\.model\.layers\.(\d+)\.(.+)\.lora_([AB])\.weight")
_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "<u2"}  # BF16: widened below


class AdapterError(ValueError):
    """The adapter cannot be converted; the message is one line naming the file and the cause."""


# -- reading -----------------------------------------------------------------------------------


def _safetensors_header(path: Path) -> tuple[dict[str, Any], int]:
    """The header of a safetensors file (name -> dtype, shape, offsets) and where data begins,
    checked against the file's size: a truncated or damaged file is an AdapterError here, in
    preflight, and not a reshape error when the run converts it."""
    try:
        with open(path, "rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(size))
        data_size = path.stat().st_size - 8 - size
    except (struct.error, ValueError, OSError) as exc:
        raise AdapterError(f"{path} is not a safetensors file ({exc})") from exc
    if not isinstance(header, dict):
        raise AdapterError(f"{path} is not a safetensors file (its header is not a table)")
    header.pop("__metadata__", None)
    for name, info in header.items():
        _check_entry(path, name, info, data_size)
    return header, 8 + size


def _check_entry(path: Path, name: str, info: Any, data_size: int) -> None:
    """One header entry names a float dtype, a shape and offsets that hold exactly its bytes."""
    try:
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        ok = all(isinstance(n, int) and n >= 0 for n in (*shape, begin, end))
    except (TypeError, KeyError, ValueError):
        ok = False
    if not ok:
        raise AdapterError(f"{path}: tensor {name} has a damaged header entry")
    if dtype not in _DTYPES:
        raise AdapterError(f"{path}: tensor {name} has dtype {dtype}, not a float")
    expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(_DTYPES[dtype]).itemsize
    if end - begin != expected or end > data_size:
        raise AdapterError(
            f"{path}: tensor {name} needs bytes {begin}-{end} of {data_size} "
            f"({expected} for shape {shape}): the file is truncated or damaged"
        )


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 numpy arrays (bf16 included, which numpy
    and safetensors.numpy cannot represent)."""
    header, start = _safetensors_header(path)
    blob = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = blob[start + begin : start + end].view(_DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view("<f4")
        out[name] = raw.astype(np.float32).reshape(info["shape"])
    return out


def _config(folder: Path) -> dict[str, Any]:
    """adapter_config.json, refused where llama.cpp's plain LoRA cannot express the adapter."""
    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
    except ValueError as exc:
        raise AdapterError(f"{folder / CONFIG_FILE} is not JSON ({exc})") from exc
    if config.get("peft_type", "LORA") != "LORA":
        raise AdapterError(f"{folder}: a {config['peft_type']} adapter, not a LoRA")
    for unsupported in ("use_dora", "alpha_pattern", "lora_bias"):
        if config.get(unsupported):
            raise AdapterError(f"{folder}: {unsupported} is not supported by llama.cpp adapters")
    if "lora_alpha" not in config:
        raise AdapterError(f"{folder}: {CONFIG_FILE} has no lora_alpha")
    return config


def _gguf_name(tensor: str, source: Path) -> tuple[str, str]:
    """('blk.{i}.attn_q.weight', 'A' or 'B') for a peft tensor name, or a clear AdapterError."""
    match = _TENSOR.fullmatch(tensor)
    if match is None:
        raise AdapterError(f"{source}: unexpected tensor {tensor} (only LoRA A/B weights convert)")
    layer, module, side = match.groups()
    if module not in MODULES:
        known = ", ".join(name.split(".")[1] for name in MODULES)
        raise AdapterError(f"{source}: module {module} cannot be converted; adaptable: {known}")
    return f"blk.{layer}.{MODULES[module]}.weight", side


def inspect_adapter(folder: Path) -> None:
    """Check a peft adapter folder converts (config and tensor names; reads no weights)."""
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise AdapterError(f"{folder} has no {name}: not a peft adapter folder")
    _config(folder)
    header, _ = _safetensors_header(folder / WEIGHTS_FILE)
    for tensor in header:
        _gguf_name(tensor, folder / WEIGHTS_FILE)


# GGUF value types -> struct formats (8 is a string, 9 an array)
_GGUF_SCALARS = dict(zip((0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12), "BbHhIif?Qqd", strict=True))
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_metadata(path: Path, keys: Iterable[str]) -> dict[str, Any]:
    """The values of `keys` in a GGUF file's header, read until all are found.

    gguf.GGUFReader parses every key first (seconds for a tokenizer's vocabulary); the head
    counts a conversion needs come before the vocabulary, so this stops after a few hundred bytes.
    """
    wanted, found = set(keys), {}
    size = path.stat().st_size
    with open(path, "rb") as handle:

        def take(n: int) -> int:
            """`n` bytes follow: refused when the file has fewer (a garbled length)."""
            if n > size - handle.tell():
                raise struct.error(f"{n} bytes announced at offset {handle.tell()} of {size}")
            return n

        def unpack(fmt: str) -> Any:
            return struct.unpack("<" + fmt, handle.read(take(struct.calcsize(fmt))))[0]

        def value(kind: int) -> Any:
            if kind == _GGUF_STRING:
                return handle.read(take(unpack("Q"))).decode("utf-8", errors="replace")
            if kind == _GGUF_ARRAY:
                item, count = unpack("I"), unpack("Q")
                if item in _GGUF_SCALARS:  # skipped in one seek
                    width = take(count * struct.calcsize(_GGUF_SCALARS[item]))
                    handle.seek(width, os.SEEK_CUR)
                    return None
                return [value(item) for _ in range(count)]
            return unpack(_GGUF_SCALARS[kind])

        if handle.read(4) != b"GGUF":
            raise AdapterError(f"{path} is not a GGUF file")
        try:
            unpack("I")  # version
            unpack("Q")  # tensor count
            for _ in range(unpack("Q")):
                key = handle.read(take(unpack("Q"))).decode("utf-8", errors="replace")
                found[key] = value(unpack("I"))
                if wanted <= found.keys():
                    break
        except (struct.error, KeyError, OSError) as exc:  # cut off or garbled
            raise AdapterError(f"{path}: its GGUF header is damaged ({exc!r})") from exc
    return {key: found[key] for key in wanted if key in found}


def _heads(base_gguf: Path) -> tuple[int, int]:
    """(n_head, n_head_kv) of a llama-architecture base GGUF."""
    arch = gguf_metadata(base_gguf, ["general.architecture"]).get("general.architecture")
    if arch != "llama":
        raise AdapterError(f"{base_gguf}: architecture {arch!r}; only llama bases are supported")
    keys = ["llama.attention.head_count", "llama.attention.head_count_kv"]
    meta = gguf_metadata(base_gguf, keys)
    if keys[0] not in meta:
        raise AdapterError(f"{base_gguf} has no llama.attention.head_count")
    return int(meta[keys[0]]), int(meta.get(keys[1], meta[keys[0]]))


# -- converting --------------------------------------------------------------------------------


def rotary_permute(weight: np.ndarray, n_head: int) -> np.ndarray:
    """The row order llama's HF -> GGUF conversion gives q_proj (n_head) and k_proj (n_head_kv):
    within each head, rows 0, d/2, 1, d/2+1, ... (interleaved halves)."""
    rows = weight.shape[0]
    if rows % (2 * n_head):
        raise AdapterError(f"{rows} rows do not split into {n_head} heads of even size")
    grouped = weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:])
    return grouped.swapaxes(1, 2).reshape(weight.shape)


def lora_tensors(
    folder: Path, n_head: int, n_head_kv: int, *, permute_qk: bool = True
) -> Iterator[tuple[str, np.ndarray]]:
    """(GGUF name, float32 array) of every lora_a / lora_b, in layer order.

    `permute_qk=False` skips the rotary row permutation (wrong; only to show that it matters).
    """
    config = _config(folder)
    weights = _read_safetensors(folder / WEIGHTS_FILE)
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for tensor, array in weights.items():
        name, side = _gguf_name(tensor, folder / WEIGHTS_FILE)
        pairs.setdefault(name, {})[side] = array
    for name in sorted(pairs, key=lambda n: (int(n.split(".")[1]), n)):  # blk.{i}.<name>
        pair = pairs[name]
        if set(pair) != {"A", "B"}:
            raise AdapterError(f"{folder}: {name} has lora_{''.join(pair)} without its partner")
        a, b = pair["A"], pair["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise AdapterError(f"{folder}: {name} has A {a.shape} and B {b.shape}: not a LoRA")
        if config.get("use_rslora"):  # peft scales by alpha/sqrt(r), llama.cpp by alpha/r
            b = b * np.float32(np.sqrt(a.shape[0]))
        heads = {".attn_q.": n_head, ".attn_k.": n_head_kv}
        for part, count in heads.items():
            if permute_qk and part in name:
                try:
                    b = rotary_permute(b, count)
                except AdapterError as exc:
                    raise AdapterError(f"{folder}: {name}: {exc}") from exc
        yield f"{name}.lora_a", np.ascontiguousarray(a, dtype=np.float32)
        yield f"{name}.lora_b", np.ascontiguousarray(b, dtype=np.float32)


def _import_gguf() -> Any:
    try:
        import gguf
    except ImportError as exc:
        raise AdapterError(GGUF_HINT) from exc
    return gguf


def convert_peft_adapter(
    folder: Path, base_gguf: Path, out: Path, *, permute_qk: bool = True, source: str = ""
) -> Path:
    """Write the peft adapter in `folder` as a GGUF LoRA adapter for `base_gguf` at `out`
    (whole or not at all: a temporary file renamed at the end)."""
    gguf = _import_gguf()
    n_head, n_head_kv = _heads(base_gguf)
    alpha = float(_config(folder)["lora_alpha"])
    handle, temporary = tempfile.mkstemp(prefix=".adapter-", suffix=".gguf", dir=out.parent)
    os.close(handle)
    try:
        writer = gguf.GGUFWriter(temporary, arch="llama")
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        writer.add_string(SOURCE_KEY, source)
        for name, array in lora_tensors(folder, n_head, n_head_kv, permute_qk=permute_qk):
            writer.add_tensor(name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return out


def _source_key(folder: Path, base_gguf: Path) -> str:
    """What a conversion depends on: the adapter's files and the base's head counts."""
    return f"{adapter_digest(folder)}:{':'.join(map(str, _heads(base_gguf)))}"


def converted_adapter(folder: Path, base_gguf: Path) -> Path:
    """`folder`'s adapter as GGUF: the cached ``adapter.gguf`` when it was converted from these
    files for a base with these head counts, else a fresh conversion."""
    out = folder / CONVERTED_FILE
    source = _source_key(folder, base_gguf)
    if out.is_file():
        try:
            if gguf_metadata(out, [SOURCE_KEY]).get(SOURCE_KEY) == source:
                return out
        except (AdapterError, OSError):
            pass  # unreadable: convert again
    try:
        return convert_peft_adapter(folder, base_gguf, out, source=source)
    except OSError as exc:
        raise AdapterError(f"cannot write {out}: {exc}") from exc


# -- digests -----------------------------------------------------------------------------------

_DIGESTS: dict[tuple[Any, ...], str] = {}
_CHECKED: set[tuple[str, str]] = set()  # (adapter digest, base) pairs that would convert


def adapter_digest(path: Path) -> str:
    """blake2b (hex, 128 bits) of an adapter's weights: of the config and safetensors of a peft
    folder, or of a .gguf adapter file. Memoised on the files' inode, size and modification time."""
    files = [path / CONFIG_FILE, path / WEIGHTS_FILE] if path.is_dir() else [path]
    stats = [file.stat() for file in files]
    memo = tuple(
        (str(f.resolve()), s.st_ino, s.st_size, s.st_mtime_ns)
        for f, s in zip(files, stats, strict=True)
    )
    if memo not in _DIGESTS:
        digest = hashlib.blake2b(digest_size=16)
        for file, stat in zip(files, stats, strict=True):
            digest.update(f"{file.name}:{stat.st_size}:".encode())
            with open(file, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        _DIGESTS[memo] = digest.hexdigest()
    return _DIGESTS[memo]


def checked_digest(adapter: Path, base_gguf: Path) -> str:
    """`adapter_digest` of an adapter the embedded model can load on `base_gguf`, checked
    without reading its weights (once per content and base): a .gguf file, or a peft folder
    that converts with gguf installed (its config, tensor names and sizes, and a llama base with
    head counts). Raises AdapterError saying what is wrong."""
    if not (adapter.is_dir() or (adapter.is_file() and adapter.suffix == ".gguf")):
        raise AdapterError(f"no adapter at {adapter} (a peft adapter folder or a .gguf file)")
    try:
        digest = adapter_digest(adapter)
    except OSError as exc:
        raise AdapterError(f"cannot read the adapter at {adapter}: {exc}") from exc
    checked = (digest, str(base_gguf.resolve()))
    if adapter.is_dir() and checked not in _CHECKED:
        if importlib.util.find_spec("gguf") is None:
            raise AdapterError(GGUF_HINT)
        inspect_adapter(adapter)
        _heads(base_gguf)
        _CHECKED.add(checked)
    return digest


__all__ = [
    "AdapterError",
    "adapter_digest",
    "checked_digest",
    "convert_peft_adapter",
    "converted_adapter",
    "gguf_metadata",
    "inspect_adapter",
    "lora_tensors",
    "rotary_permute",
]
