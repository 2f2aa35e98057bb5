"""Media settings without torch: the embedded model's configuration (presets, `?k=v` overrides,
and the hash that names its trained weights in the cache: change any field and it is trained
anew, never confused) and the LoRA settings scenario files name."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl

from pydantic import Field, PositiveInt

from simsocial.spec_base import StrictModel

VERSION = 3  # bump when training or the networks change in a way the fields do not say
EMBEDDED = "embedded/tiny-ddpm"


@dataclass(frozen=True)
class TinyDDPMConfig:
    """What is trained (UNet, attribute encoder, classifier) and how images are sampled."""

    image_size: int = 16
    channels: tuple[int, ...] = (32, 64)
    cond_dim: int = 64
    # the attribute tokens also join the timestep embedding of every ResNet block, not only
    # the cross-attention below full resolution
    global_cond: bool = True
    # half the extent of a small shape, as a share of the side: at 16x16 pixels a smaller
    # square is drawn with rounded corners and read as a circle
    small_size: float = 0.30
    dataset: int = 6144  # generated training images (cycling through every combination)
    train_steps: int = 900
    batch: int = 64
    lr: float = 1e-3
    drop_slot: float = 0.15  # each attribute hidden from a training caption with this chance
    drop_all: float = 0.1  # the whole caption hidden (classifier-free guidance's null prompt)
    ema_decay: float = 0.995
    # what the UNet predicts: "sample" (the clean image) learns recognisable shapes in a few
    # hundred CPU steps and samples cleanly in few DDIM steps; "epsilon" and "v_prediction" too
    prediction: str = "sample"
    # Min-SNR-gamma loss weights; 0: plain x0 mean squared error, which measured best for the
    # default model (it follows background, size and colour; Min-SNR starved those steps)
    min_snr: float = 0.0
    # x0 weights below this SNR are raised to it: the noisy steps, which decide background,
    # size and colour, keep their weight (0: pure Min-SNR, which starves them)
    snr_floor: float = 1.0
    classifier_steps: int = 600
    classifier_batch: int = 128
    seed: int = 0
    # sampling: not part of what is trained, but of what an image is (its cache key)
    inference_steps: int = 20
    # low guidance measured best for prompt fidelity (share of images matching their caption:
    # 1.5: 0.93-0.94, 2: 0.85; on earlier weights 2.5: 0.60-0.64, 4: 0.47): strong guidance
    # overshoots a model this small
    guidance: float = 1.5

    def train_hash(self) -> str:
        """Names the trained weights: every field that changes them."""
        trained = {
            k: v for k, v in asdict(self).items() if k not in ("inference_steps", "guidance")
        }
        text = json.dumps({"version": VERSION, **trained}, sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


PRESETS: dict[str, TinyDDPMConfig] = {
    "default": TinyDDPMConfig(),
    # seconds on one core: proves the plumbing, draws blobs
    "test": TinyDDPMConfig(
        channels=(8, 16),
        cond_dim=16,
        dataset=256,
        train_steps=8,
        batch=16,
        classifier_steps=40,
        classifier_batch=64,
        inference_steps=4,
        min_snr=5.0,
        snr_floor=0.0,
        global_cond=False,
        small_size=0.26,
        guidance=2.5,
    ),
    # a minute or two on one core: colours and sizes come out right, shapes roughly; what the
    # feedback twins need (an adapter must be able to move the colour distribution)
    "small": TinyDDPMConfig(
        channels=(16, 32),
        cond_dim=32,
        dataset=1024,
        train_steps=150,
        batch=32,
        lr=2e-3,
        classifier_steps=120,
        classifier_batch=64,
        inference_steps=6,
        min_snr=5.0,
        snr_floor=0.0,
        global_cond=False,
        small_size=0.26,
        guidance=2.5,
    ),
}


class ImageLora(StrictModel):
    """A LoRA on the UNet's attention projections (W' = W + (alpha/rank) B A; only A, B train)."""

    rank: PositiveInt = Field(4, description="Rank r of the update B A.")
    alpha: float = Field(4.0, gt=0, description="Scale numerator: the update is (alpha/r) B A.")
    target_modules: list[str] = Field(
        default_factory=lambda: ["to_q", "to_k", "to_v", "to_out.0"],
        min_length=1,
        description="Module names (suffixes) in the UNet that get an adapter.",
    )
    steps: PositiveInt = Field(60, description="Optimiser steps per adapter.")
    batch: PositiveInt = Field(16, description="Images per optimiser step.")
    lr: float = Field(2e-3, gt=0, description="AdamW learning rate.")
    drop_all: float = Field(
        0.1, ge=0, le=1, description="Share of captions hidden in training (guidance's null)."
    )
    prior_share: float = Field(
        0.5,
        ge=0,
        lt=1,
        description=(
            "Share of each batch drawn from the prior images (the whole generation) rather than "
            "the chosen ones: prior preservation, so an adapter learns what sets the chosen apart."
        ),
    )


class TextLora(StrictModel):
    """A LoRA for the embedded chat model (SmolLM2) on a community's texts."""

    rank: PositiveInt = Field(8, description="Rank r of the update.")
    alpha: float = Field(16.0, gt=0, description="Scale numerator (alpha/r).")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "v_proj"], min_length=1, description="Modules adapted."
    )
    steps: PositiveInt = Field(30, description="Optimiser steps.")
    batch: PositiveInt = Field(4, description="Texts per step.")
    lr: float = Field(1e-3, gt=0, description="AdamW learning rate.")
    max_length: PositiveInt = Field(96, description="Tokens per text at most.")


def parse_embedded(model: str) -> TinyDDPMConfig:
    """`embedded/tiny-ddpm[?preset=test&train_steps=200&...]` -> its config; unknown keys and
    bad values are one-line errors naming the model string."""
    _, _, query = model.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    preset = params.pop("preset", "default")
    if preset not in PRESETS:
        raise ValueError(f"{model!r}: unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    config = PRESETS[preset]
    types = {f.name: f.type for f in fields(TinyDDPMConfig)}
    changes: dict[str, object] = {}
    for key, text in params.items():
        if key not in types:
            raise ValueError(f"{model!r}: unknown key {key!r}; it takes preset, {sorted(types)}")
        try:
            changes[key] = _value(types[key], text)
        except ValueError:
            raise ValueError(f"{model!r}: {key}={text!r} is not a valid {types[key]}") from None
    return replace(config, **changes)


def _value(kind: object, text: str) -> object:
    if kind in ("int", int):
        return int(text)
    if kind in ("float", float):
        return float(text)
    if kind in ("str", str):
        return text
    if kind in ("bool", bool):
        if text.casefold() not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return text.casefold() in ("true", "1")
    return tuple(int(part) for part in text.split(","))  # channels=32,64
