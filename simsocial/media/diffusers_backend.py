"""`diffusers:<model id or local path>`: a real pipeline (Stable Diffusion and kin) from weights
already on disk, on a GPU when there is one.

Nothing is downloaded at run time (`local_files_only=True`): put the weights in the Hugging Face
cache or a folder first. Each image gets its own `torch.Generator` seeded with its seed, so an
image is the same in any batch; adapters are LoRA files loaded with the pipeline's
`load_lora_weights` (one at a time; switching adapters unloads the previous one).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DiffusionPipeline

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.5


class DiffusersBackend:
    """A diffusers text-to-image pipeline behind the door."""

    def __init__(self, name: str):
        self.name = name
        self.identity = f"diffusers:{name}"
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self.pipe: Any = DiffusionPipeline.from_pretrained(
            name, torch_dtype=dtype, local_files_only=True
        ).to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        self.adapter: Path | None = None

    def use_adapter(self, adapter: Path | None) -> None:
        if adapter == self.adapter:
            return
        if self.adapter is not None:
            self.pipe.unload_lora_weights()
        if adapter is not None:
            self.pipe.load_lora_weights(str(adapter))
        self.adapter = adapter

    def render(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        adapter: Path | None,
        steps: int | None,
        guidance: float | None,
    ) -> np.ndarray:
        self.use_adapter(adapter)
        generators = [torch.Generator(self.device).manual_seed(int(s)) for s in seeds]
        out = self.pipe(
            prompt=list(prompts),
            generator=generators,
            num_inference_steps=steps or DEFAULT_STEPS,
            guidance_scale=DEFAULT_GUIDANCE if guidance is None else guidance,
            output_type="np",
        )
        images = np.asarray(out.images)
        return np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
