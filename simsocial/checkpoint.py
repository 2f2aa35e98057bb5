"""Checkpoint files: plain data that round-trips exactly and can never run code.

A checkpoint is what a run needs to continue (model, RNG, session and intervention state) and a
run directory is something people share, so it is stored as JSON, not pickle: loading a crafted
file can fail, but it cannot execute anything. JSON alone would lose types the state relies on,
so a few are tagged (why by hand: msgpack or orjson would need the same tagging for tuples,
int-keyed dicts and arrays, and add a dependency for no gain):

    tuple -> {"$tuple": [...]}         set -> {"$set": [...]}        bytes -> {"$bytes": b64}
    dict with non-str keys -> {"$dict": [[k, v], ...]}               numpy array -> {"$nd": ...}
    numpy scalar -> {"$np": [dtype, value]}

Floats keep every bit (JSON writes repr, NaN and Infinity included). The file's first line holds
a BLAKE2b digest of the rest, so a damaged file is recognised as damaged instead of half-read.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from simsocial.errors import RunError

MAGIC = "simsocial-checkpoint/1"


class CheckpointError(RunError):
    """A checkpoint file that is missing, damaged or not a checkpoint."""


_PLAIN = frozenset({type(None), bool, int, float, str})


def encode(value: Any) -> Any:
    """`value` as JSON-ready data with the tags above; anything else is refused with its path.
    (Called at every checkpoint: plain values and lists of them take the fast path, and the
    path of a refused value is only worked out when there is one.)"""
    try:
        return _encode(value)
    except _Unsupported as exc:
        where = _where(value, exc.value) or "state"
        raise TypeError(
            f"{where}: a {type(exc.value).__name__} cannot be checkpointed; get_state must "
            "return plain data (dicts, lists, tuples, numbers, strings, numpy arrays)"
        ) from None


class _Unsupported(Exception):
    def __init__(self, value: Any):
        self.value = value


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        items = value if all(type(v) in _PLAIN for v in value) else [_encode(v) for v in value]
        return {"$tuple": list(items)} if kind is tuple else list(items)
    if isinstance(value, dict):
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):  # subclasses (named tuples) as their base
        return _encode(tuple(value) if isinstance(value, tuple) else list(value))
    if isinstance(value, set | frozenset):
        items = sorted(value, key=repr)  # a stable order, so equal states give equal files
        return {"$set": [_encode(v) for v in items]}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        data = np.ascontiguousarray(value)
        return {
            "$nd": {
                "dtype": data.dtype.str,
                "shape": list(data.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return {"$np": [value.dtype.str, value.item()]}
    raise _Unsupported(value)


def _where(value: Any, target: Any, path: str = "state") -> str | None:
    """The path of `target` inside `value` (only computed to name a refused value)."""
    if value is target:
        return path
    if isinstance(value, dict):
        children: Any = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        children = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for child_path, child in children:
        found = _where(child, target, child_path)
        if found is not None:
            return found
    return None


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$tuple":
            return tuple(decode(v) for v in inner)
        if tag == "$dict":
            return {decode(k): decode(v) for k, v in inner}
        if tag == "$set":
            return {decode(v) for v in inner}
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$nd":
            raw = base64.b64decode(inner["data"])
            return np.frombuffer(raw, dtype=np.dtype(inner["dtype"])).reshape(inner["shape"]).copy()
        if tag == "$np":
            return np.dtype(inner[0]).type(inner[1])
    return {k: decode(v) for k, v in value.items()}


def dumps(state: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint file: a header line with the digest, then the JSON body."""
    body = json.dumps(encode(state), separators=(",", ":"), ensure_ascii=False).encode()
    return f"{MAGIC} {digest(body)}\n".encode() + body


def loads(blob: bytes, source: Path | str = "checkpoint") -> dict[str, Any]:
    """Parse and verify a checkpoint; any damage is a `CheckpointError` naming the file."""
    header, _, body = blob.partition(b"\n")
    parts = header.decode("ascii", errors="replace").split(" ")
    if len(parts) != 2 or parts[0] != MAGIC:
        raise CheckpointError(f"{source} is not a simsocial checkpoint")
    if digest(body) != parts[1]:
        raise CheckpointError(f"{source} is damaged (its checksum does not match)")
    try:
        state = decode(json.loads(body))
    except (ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"{source} is damaged ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{source} does not hold a checkpoint state")
    return state


def read(path: Path) -> dict[str, Any]:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read: {exc.strerror or exc}") from None
    return loads(blob, path)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
