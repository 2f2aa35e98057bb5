"""The offline backend `embedded/tiny-ddpm`: trained once per config into the cache directory,
then sampled with DDIM and classifier-free guidance; it also owns the classifier that labels
any image of this size.

Weights live in `<media cache>/models/tiny-ddpm-<config hash>/` (diffusers' own UNet format plus
safetensors files for the encoder and the classifier, and info.json with training times and the
classifier's held-out accuracy). A directory appears whole or not at all: it is trained into a
temporary name and renamed, so a killed training is simply redone.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DDIMScheduler, UNet2DConditionModel
from safetensors.torch import load_file, save_file

from simsocial.media import dataset
from simsocial.media.config import TinyDDPMConfig
from simsocial.media.nets import AttributeEncoder, Classifier, predict, to_tensor, to_uint8
from simsocial.media.training import noise_schedule, train

THREADS_ENV = "SIMSOCIAL_MEDIA_THREADS"  # torch threads for media work (default: torch's)
_LOCK = threading.Lock()
_LOADED: dict[Path, EmbeddedModel] = {}


class EmbeddedModel:
    """The trained networks of one config, ready to sample and to label."""

    def __init__(self, config: TinyDDPMConfig, folder: Path):
        self.config = config
        self.folder = folder
        self.unet = UNet2DConditionModel.from_pretrained(folder / "unet").eval()
        self.unet.requires_grad_(False)  # inference only; adapters train copies
        self.encoder = AttributeEncoder(config.cond_dim)
        self.encoder.load_state_dict(load_file(folder / "encoder.safetensors"))
        self.encoder.eval()
        self.classifier = Classifier()
        self.classifier(torch.zeros(1, 3, config.image_size, config.image_size))
        self.classifier.load_state_dict(load_file(folder / "classifier.safetensors"))
        self.classifier.eval()
        self.info: dict[str, Any] = json.loads((folder / "info.json").read_text())
        self.scheduler = DDIMScheduler.from_config(noise_schedule(config.prediction).config)
        self._adapted: dict[str, UNet2DConditionModel] = {}

    # --- sampling ----------------------------------------------------------------------------

    def unet_for(self, adapter: Path | None) -> UNet2DConditionModel:
        """The base UNet, or a copy carrying the LoRA adapter file (kept for reuse)."""
        if adapter is None:
            return self.unet
        from simsocial.media.lora import load_adapter

        key = str(Path(adapter).resolve())
        found = self._adapted.get(key)
        if found is None:
            if len(self._adapted) >= 4:
                self._adapted.pop(next(iter(self._adapted)))
            found = self._adapted[key] = load_adapter(copy.deepcopy(self.unet), Path(adapter))
        return found

    @torch.no_grad()
    def sample(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        adapter: Path | None = None,
        *,
        steps: int | None = None,
        guidance: float | None = None,
    ) -> np.ndarray:
        """uint8 images (n x H x W x 3). Each image's starting noise comes from its own seed,
        so an image is the same whatever batch it is drawn in."""
        steps = steps or self.config.inference_steps
        guidance = self.config.guidance if guidance is None else guidance
        unet = self.unet_for(adapter)
        size = self.config.image_size
        noise = [
            torch.randn(3, size, size, generator=torch.Generator().manual_seed(int(s)))
            for s in seeds
        ]
        x = torch.stack(noise) if noise else torch.zeros(0, 3, size, size)
        codes = torch.tensor([dataset.parse_prompt(p).codes() for p in prompts], dtype=torch.long)
        tokens = self.encoder(torch.cat([codes, AttributeEncoder.null_codes(len(prompts))]))
        scheduler = copy.deepcopy(self.scheduler)
        scheduler.set_timesteps(steps)
        for t in scheduler.timesteps:
            both = predict(unet, torch.cat([x, x]), t, tokens)
            cond, uncond = both.chunk(2)
            guided = uncond + guidance * (cond - uncond)
            x = scheduler.step(guided, t, x, eta=0.0).prev_sample
        return to_uint8(x).numpy()

    # --- labelling ---------------------------------------------------------------------------

    @torch.no_grad()
    def classify(self, images: np.ndarray) -> list[dict[str, Any]]:
        """Per image: each slot's label and its softmax confidence."""
        if len(images) == 0:
            return []
        logits = self.classifier(to_tensor(images))
        rows: list[dict[str, Any]] = [{} for _ in range(len(images))]
        for slot, out in zip(dataset.SLOTS, logits, strict=True):
            probs = out.softmax(1)
            confidence, index = probs.max(1)
            for row, i, c in zip(rows, index.tolist(), confidence.tolist(), strict=True):
                row[slot] = dataset.ATTRIBUTES[slot][i]
                row[f"{slot}_p"] = float(c)
        return rows

    @torch.no_grad()
    def features(self, images: np.ndarray) -> np.ndarray:
        """The classifier's penultimate features (n x d): the space of the feature distance."""
        if len(images) == 0:
            return np.zeros((0, self.classifier.heads[0].in_features), dtype=np.float64)
        return self.classifier.features(to_tensor(images)).double().numpy()


def set_threads() -> None:
    """Honour SIMSOCIAL_MEDIA_THREADS: on a machine shared with other busy processes one
    thread is often several times faster than two that keep waiting for each other."""
    wanted = os.environ.get(THREADS_ENV)
    if wanted and int(wanted) != torch.get_num_threads():
        torch.set_num_threads(int(wanted))


def load(config: TinyDDPMConfig, cache_root: Path) -> EmbeddedModel:
    """The trained model of `config`, trained now if the cache does not hold it yet."""
    set_threads()
    folder = Path(cache_root) / "models" / f"tiny-ddpm-{config.train_hash()}"
    with _LOCK:
        found = _LOADED.get(folder)
        if found is None:
            if not (folder / "info.json").exists():
                train_into(config, folder)
            found = _LOADED[folder] = EmbeddedModel(config, folder)
        elif found.config != config:  # same weights, other sampling settings
            found = copy.copy(found)
            found.config = config
        return found


def train_into(config: TinyDDPMConfig, folder: Path) -> None:
    """Train and write the weights into a temporary folder, then rename it into place."""
    trained = train(config)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    trained.unet.save_pretrained(tmp / "unet")
    save_file(trained.encoder.state_dict(), tmp / "encoder.safetensors")
    save_file(trained.classifier.state_dict(), tmp / "classifier.safetensors")
    info = {**trained.info, "config": asdict(config), "torch": torch.__version__}
    (tmp / "info.json").write_text(json.dumps(info, indent=2))
    try:
        os.replace(tmp, folder)
    except OSError:  # another process finished the same training first
        shutil.rmtree(tmp, ignore_errors=True)
