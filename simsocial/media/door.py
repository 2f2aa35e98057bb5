"""The media door: every image a run makes goes through `MediaDoor.render`, like every LLM call
goes through the gateway.

What happens to a batch of (prompt, seed) pairs, in order:

1. **key**     each image's content address: backend identity (model string and the hash of
               its trained weights), adapter digest, prompt, seed, sampling settings.
2. **cache**   hits are read from the image cache (PNG files) and cost nothing.
3. **render**  the misses go to the backend together, in chunks of `batch`: the embedded DDPM
               (`embedded/tiny-ddpm[?preset=...&k=v]`) or a diffusers pipeline
               (`diffusers:<model id or local path>`); each image's noise comes from its own
               seed, so it does not depend on which batch it was drawn in.
4. **store**   rendered images go to the cache before they are returned, so a run killed after
               rendering finds them on resume.

`classify(images)` labels images (shape, colour, background, size, each with its confidence)
with the embedded model's classifier; it is the instrument of every media metric.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from simsocial.media.cache import ImageCache, default_media_dir, file_digest, image_key, png_bytes
from simsocial.media.config import EMBEDDED, TinyDDPMConfig, parse_embedded

DIFFUSERS = "diffusers:"


@dataclass
class Image:
    """One rendered image and what made it."""

    prompt: str
    seed: int
    backend: str
    adapter: str | None  # the adapter file's digest
    key: str
    pixels: np.ndarray  # uint8 H x W x 3
    cached: bool = False

    def png(self) -> bytes:
        return png_bytes(self.pixels)


class Backend(Protocol):
    """What renders: `identity` names the weights (part of every cache key)."""

    identity: str

    def render(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        adapter: Path | None,
        steps: int | None,
        guidance: float | None,
    ) -> np.ndarray: ...


@dataclass
class DoorStats:
    rendered: int = 0
    cache_hits: int = 0
    render_seconds: float = 0.0
    batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class EmbeddedBackend:
    """`embedded/tiny-ddpm`: trained on first use into the cache (see simsocial.media.embedded)."""

    def __init__(self, config: TinyDDPMConfig, cache_root: Path):
        from simsocial.media import embedded

        self.config = config
        self.model = embedded.load(config, cache_root)
        # the weights and the sampling settings the model string chose decide the pixels
        self.identity = (
            f"{EMBEDDED}#{config.train_hash()}|steps={config.inference_steps}"
            f"|guidance={config.guidance}"
        )

    def render(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        adapter: Path | None,
        steps: int | None,
        guidance: float | None,
    ) -> np.ndarray:
        return self.model.sample(prompts, seeds, adapter, steps=steps, guidance=guidance)


def check_model(model: str) -> None:
    """Validate a media model string without loading anything (spec validation uses it)."""
    if model == EMBEDDED or model.startswith(EMBEDDED + "?"):
        parse_embedded(model)
    elif not (model.startswith(DIFFUSERS) and model.removeprefix(DIFFUSERS).strip()):
        raise ValueError(
            f"unknown media model {model!r}: use {EMBEDDED!r} (with optional ?preset=test&k=v) "
            "or 'diffusers:<model id or local path>'"
        )


def make_backend(model: str, cache_root: Path) -> Backend:
    """The backend a model string names."""
    check_model(model)
    if model.startswith(DIFFUSERS):
        from simsocial.media.diffusers_backend import DiffusersBackend

        return DiffusersBackend(model.removeprefix(DIFFUSERS))
    return EmbeddedBackend(parse_embedded(model), cache_root)


class MediaDoor:
    """One model string's door: cache, backend (built on first render), counters."""

    def __init__(
        self,
        model: str = EMBEDDED,
        cache_dir: Path | None = None,
        *,
        batch: int = 64,
        steps: int | None = None,
        guidance: float | None = None,
    ):
        check_model(model)
        self.model = model
        self.cache_root = Path(cache_dir) if cache_dir is not None else default_media_dir()
        self.cache = ImageCache(self.cache_root)
        self.batch = batch
        self.steps = steps
        self.guidance = guidance
        self.stats = DoorStats()
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = make_backend(self.model, self.cache_root)
        return self._backend

    def keys(self, prompts: Sequence[str], seeds: Sequence[int], adapter: Path | None) -> list[str]:
        digest = file_digest(adapter) if adapter is not None else None
        return [
            image_key(
                backend=self.backend.identity,
                adapter=digest,
                prompt=p,
                seed=int(s),
                steps=self.steps,
                guidance=self.guidance,
            )
            for p, s in zip(prompts, seeds, strict=True)
        ]

    def render(
        self, prompts: Sequence[str], seeds: Sequence[int], adapter: Path | None = None
    ) -> list[Image]:
        """The images of (prompt, seed) pairs, in order, from the cache or the backend."""
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        digest = file_digest(adapter) if adapter is not None else None
        keys = self.keys(prompts, seeds, adapter)
        found = [self.cache.get(key) for key in keys]
        missing = [i for i, pixels in enumerate(found) if pixels is None]
        self.stats.cache_hits += len(keys) - len(missing)
        started = time.perf_counter()
        for start in range(0, len(missing), self.batch):
            chunk = missing[start : start + self.batch]
            pixels = self.backend.render(
                [prompts[i] for i in chunk],
                [int(seeds[i]) for i in chunk],
                adapter,
                self.steps,
                self.guidance,
            )
            for i, image in zip(chunk, pixels, strict=True):
                self.cache.put(keys[i], image)
                found[i] = image
            self.stats.batches += 1
        self.stats.rendered += len(missing)
        self.stats.render_seconds += time.perf_counter() - started
        return [
            Image(p, int(s), self.model, digest, key, pixels, cached=i not in missing)
            for i, (p, s, key, pixels) in enumerate(zip(prompts, seeds, keys, found, strict=True))
        ]

    def classify(self, images: Sequence[Image] | np.ndarray) -> list[dict[str, Any]]:
        """Labels and confidences per image, from the embedded classifier (images of another
        size are resized to its own)."""
        return labeller(self).classify(_pixels(images, labeller(self).config.image_size))

    def features(self, images: Sequence[Image] | np.ndarray) -> np.ndarray:
        return labeller(self).features(_pixels(images, labeller(self).config.image_size))


def labeller(door: MediaDoor) -> Any:
    """The embedded model whose classifier labels this door's images: its own when the door is
    embedded, else the default configuration's."""
    backend = door.backend
    if isinstance(backend, EmbeddedBackend):
        return backend.model
    from simsocial.media import embedded

    return embedded.load(TinyDDPMConfig(), door.cache_root)


def _pixels(images: Sequence[Image] | np.ndarray, size: int) -> np.ndarray:
    arrays = list(images) if isinstance(images, np.ndarray) else [i.pixels for i in images]
    if not arrays:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    if any(a.shape[:2] != (size, size) for a in arrays):
        from PIL import Image as PILImage

        arrays = [
            np.asarray(PILImage.fromarray(a).resize((size, size), PILImage.Resampling.BOX))
            for a in arrays
        ]
    return np.stack(arrays)


def render(
    prompts: Sequence[str],
    seeds: Sequence[int],
    *,
    model: str = EMBEDDED,
    adapter: Path | None = None,
    cache_dir: Path | None = None,
) -> list[Image]:
    """One-off rendering through a door of `model` (a run keeps its own door)."""
    return MediaDoor(model, cache_dir).render(prompts, seeds, adapter)
