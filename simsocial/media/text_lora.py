"""Text adapters: a peft LoRA for the embedded chat model (SmolLM2-135M-Instruct, read by
transformers from the same GGUF file llama.cpp runs) fine-tuned on a community's posts, with
held-out perplexity before and after.

Loading de-quantises the GGUF (about half a minute on two cores); nothing is downloaded.
`fine_tune` works on any transformers causal LM and tokenizer, which is how the tests run it on a
tiny model made in memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from simsocial.media.config import TextLora


def load_smollm2() -> tuple[Any, Any]:
    """(model, tokenizer) of the packaged SmolLM2 GGUF, in float32 on the CPU."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from simsocial.llm.providers.embedded_names import packaged_gguf_path

    path = packaged_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _batch(tokenizer: Any, texts: Sequence[str], max_length: int) -> dict[str, torch.Tensor]:
    encoded = tokenizer(
        list(texts), return_tensors="pt", padding=True, truncation=True, max_length=max_length
    )
    labels = encoded["input_ids"].clone()
    labels[encoded["attention_mask"] == 0] = -100  # padding is not predicted
    return {**encoded, "labels": labels}


@torch.no_grad()
def perplexity(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int = 96) -> float:
    """exp of the mean negative log-likelihood per predicted token over `texts`."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(texts), 8):
        batch = _batch(tokenizer, texts[start : start + 8], max_length)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        shift_logits, shift_labels = logits[:, :-1], batch["labels"][:, 1:]
        nll = torch.nn.functional.cross_entropy(
            shift_logits.reshape(-1, shift_logits.shape[-1]),
            shift_labels.reshape(-1),
            ignore_index=-100,
            reduction="sum",
        )
        total += float(nll)
        count += int((shift_labels != -100).sum())
    return math.exp(total / max(count, 1))


def fine_tune(
    model: Any,
    tokenizer: Any,
    train: Sequence[str],
    held_out: Sequence[str],
    settings: TextLora,
    out: Path | None = None,
    *,
    seed: int = 0,
) -> tuple[Any, dict[str, Any]]:
    """Wrap `model` in a LoRA, train it on `train`, and measure perplexity on `held_out` before
    and after; with `out`, save the adapter there (peft's adapter_model.safetensors and
    adapter_config.json). Returns the adapted model and the numbers."""
    from peft import LoraConfig, get_peft_model

    if not train or not held_out:
        raise ValueError("fine-tuning needs training texts and held-out texts")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    before = perplexity(model, tokenizer, held_out, settings.max_length)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        target_modules=list(settings.target_modules),
        task_type="CAUSAL_LM",
    )
    adapted = get_peft_model(model, config)
    trainable = [p for p in adapted.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=0.0)
    started = time.perf_counter()
    adapted.train()
    for _ in range(settings.steps):
        pick = torch.randint(0, len(train), (settings.batch,), generator=gen).tolist()
        batch = _batch(tokenizer, [train[i] for i in pick], settings.max_length)
        loss = adapted(**batch).loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    seconds = time.perf_counter() - started
    after = perplexity(adapted, tokenizer, held_out, settings.max_length)
    info: dict[str, Any] = {
        "perplexity_before": round(before, 3),
        "perplexity_after": round(after, 3),
        "train_texts": len(train),
        "held_out_texts": len(held_out),
        "steps": settings.steps,
        "seconds": round(seconds, 2),
        "trainable_parameters": sum(p.numel() for p in trainable),
    }
    if out is not None:
        adapted.save_pretrained(str(out))
        weights = Path(out) / "adapter_model.safetensors"
        info["adapter_bytes"] = weights.stat().st_size if weights.exists() else None
    return adapted, info
