"""Image adapters: a peft LoRA on the embedded UNet's attention projections, trained with the
DDPM objective on a set of images and the prompts they were made from (e.g. those an audience
liked), saved as one small safetensors file that carries its own LoRA settings.

Only A and B train (W' = W + (alpha/r) B A); the UNet and the attribute encoder stay frozen, so
an adapter is a few hundred kilobytes and any generation, community or agent can load its own.
An adapter can start from an earlier one (`init`): a chain of generations keeps what the ones
before it learned.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import UNet2DConditionModel
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict, set_peft_model_state_dict
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from simsocial.media import dataset
from simsocial.media.config import ImageLora
from simsocial.media.nets import to_tensor
from simsocial.media.training import denoising_loss, hide, noise_schedule

META_KEY = "simsocial_lora"


def lora_config(settings: ImageLora) -> LoraConfig:
    return LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        target_modules=list(settings.target_modules),
        init_lora_weights="gaussian",
    )


def train_adapter(
    model: Any,
    images: np.ndarray,
    prompts: Sequence[str],
    settings: ImageLora,
    out: Path,
    *,
    seed: int = 0,
    init: Path | None = None,
    prior: tuple[np.ndarray, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Train an adapter of the embedded model `model` (simsocial.media.embedded.EmbeddedModel)
    on uint8 `images` and their `prompts`; write it to `out` atomically; what it took.

    `prior` (images, prompts), e.g. the whole generation the liked images came from, fills
    `settings.prior_share` of every batch (DreamBooth's prior preservation): the adapter learns
    what sets the chosen images apart instead of memorising a handful of them. Choosing at
    random still narrows a chain of adapters a little, as resampling any few samples does
    (measured against `metrics.resampling_null`, never below it)."""
    if len(images) == 0 or len(images) != len(prompts):
        raise ValueError(f"an adapter needs images with their prompts ({len(images)} images)")
    started = time.perf_counter()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    unet: UNet2DConditionModel = copy.deepcopy(model.unet)
    unet.requires_grad_(False)
    unet.add_adapter(lora_config(settings))
    if init is not None:
        _load_weights(unet, init)
    unet.train()
    trainable = [p for name, p in unet.named_parameters() if "lora_" in name]
    for p in trainable:
        p.requires_grad_(True)
    optimiser = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=0.0)
    data, codes = _tensors(images, prompts)
    anchor, anchor_codes = _tensors(*prior) if prior is not None else (data, codes)
    from_prior = round(settings.batch * settings.prior_share) if prior is not None else 0
    schedule = noise_schedule(model.config.prediction)
    losses = []
    for _ in range(settings.steps):
        pick = torch.randint(0, len(data), (settings.batch - from_prior,), generator=gen)
        extra = torch.randint(0, len(anchor), (from_prior,), generator=gen)
        clean = torch.cat([data[pick], anchor[extra]])
        batch_codes = torch.cat([codes[pick], anchor_codes[extra]])
        hide(batch_codes, 0.0, settings.drop_all, gen)
        with torch.no_grad():
            tokens = model.encoder(batch_codes)
        config = model.config
        loss = denoising_loss(unet, tokens, clean, schedule, gen, config.min_snr, config.snr_floor)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    unet.eval()
    save_adapter(unet, settings, out)
    return {
        "images": len(images),
        "steps": settings.steps,
        "seconds": round(time.perf_counter() - started, 2),
        "loss_first": round(float(np.mean(losses[: max(1, len(losses) // 5)])), 5),
        "loss_last": round(float(np.mean(losses[-max(1, len(losses) // 5) :])), 5),
        "bytes": out.stat().st_size,
        "parameters": sum(p.numel() for p in trainable),
    }


def _tensors(images: np.ndarray, prompts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    codes = torch.tensor([dataset.parse_prompt(p).codes() for p in prompts], dtype=torch.long)
    return to_tensor(images), codes


def save_adapter(unet: UNet2DConditionModel, settings: ImageLora, out: Path) -> None:
    """The adapter's A and B matrices, with its settings in the file's metadata."""
    state = {k: v.contiguous() for k, v in get_peft_model_state_dict(unet).items()}
    meta = {META_KEY: settings.model_dump_json(include={"rank", "alpha", "target_modules"})}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    save_file(state, tmp, metadata=meta)
    os.replace(tmp, out)


def adapter_settings(path: Path) -> ImageLora:
    """The LoRA settings an adapter file was trained with."""
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
    if META_KEY not in meta:
        raise ValueError(f"{path} is not a simsocial image adapter (no {META_KEY} metadata)")
    return ImageLora(**json.loads(meta[META_KEY]))


def load_adapter(unet: UNet2DConditionModel, path: Path) -> UNet2DConditionModel:
    """`unet` (a copy: it is changed) carrying the adapter in `path`, for sampling."""
    unet.add_adapter(lora_config(adapter_settings(path)))
    _load_weights(unet, path)
    return unet.eval()


def _load_weights(unet: UNet2DConditionModel, path: Path) -> None:
    result = set_peft_model_state_dict(unet, load_file(str(path)))
    unexpected = getattr(result, "unexpected_keys", None) or []
    if unexpected:
        raise ValueError(f"{path} does not fit this UNet: {len(unexpected)} unexpected tensors")
