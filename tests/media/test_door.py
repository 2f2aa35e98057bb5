"""The media door on the embedded test preset: rendering, caching by prompt and seed, training
once per config, labelling; the diffusers backend only for how it calls the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from conftest import TEST_MODEL, need_media

need_media()

import torch  # noqa: E402

from simsocial.media import embedded  # noqa: E402
from simsocial.media.config import parse_embedded  # noqa: E402
from simsocial.media.door import MediaDoor  # noqa: E402

PROMPTS = ["a red circle", "a large blue square on a black background", "a shape"]


def test_render_is_a_function_of_prompt_and_seed(door):
    images = door.render(PROMPTS, [1, 2, 3])
    assert [i.pixels.shape for i in images] == [(16, 16, 3)] * 3
    assert all(i.pixels.dtype == np.uint8 and not i.cached for i in images)
    assert [i.prompt for i in images] == PROMPTS and [i.seed for i in images] == [1, 2, 3]
    again = door.backend.render(PROMPTS[::-1], [3, 2, 1], None, None, None)  # another batch
    assert all(np.array_equal(a, i.pixels) for a, i in zip(again[::-1], images, strict=True))
    other = door.backend.render(PROMPTS[:1], [99], None, None, None)[0]
    assert not np.array_equal(other, images[0].pixels)


def test_a_second_render_comes_from_the_cache_without_the_backend(door, monkeypatch):
    first = door.render(PROMPTS, [5, 6, 7])
    monkeypatch.setattr(door.backend, "render", lambda *a: pytest.fail("rendered again"))
    second = door.render(PROMPTS, [5, 6, 7])
    assert all(i.cached for i in second) and door.stats.cache_hits == 3
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(first, second, strict=True))
    assert door.stats.rendered == 3 and len({i.key for i in second}) == 3


def test_a_damaged_cached_image_is_rendered_again(door):
    (image,) = door.render(["a circle"], [11])
    door.cache.path(image.key).write_bytes(b"not a png")
    (again,) = door.render(["a circle"], [11])
    assert not again.cached and np.array_equal(again.pixels, image.pixels)
    assert door.cache.damaged == 1


def test_the_model_is_trained_once_per_config_and_found_by_its_hash(media_cache, monkeypatch):
    config = parse_embedded(TEST_MODEL)
    folder = media_cache / "models" / f"tiny-ddpm-{config.train_hash()}"
    info = json.loads((folder / "info.json").read_text())
    assert info["config"]["train_steps"] == config.train_steps and info["unet_seconds"] > 0
    assert (folder / "unet" / "config.json").exists()
    monkeypatch.setattr(embedded, "_LOADED", {})
    monkeypatch.setattr(embedded, "train", lambda c: pytest.fail("trained again"))
    loaded = embedded.load(config, media_cache)
    assert loaded.info == info
    assert not list(folder.parent.glob("*.tmp-*"))  # trained under a temporary name, renamed


def test_sampling_settings_change_the_image_and_its_key(door, media_cache):
    fast = MediaDoor(TEST_MODEL, media_cache, steps=2, guidance=0.0)
    fast.cache.directory = door.cache.directory
    (a,) = door.render(["a red circle"], [3])
    (b,) = fast.render(["a red circle"], [3])
    assert a.key != b.key and not np.array_equal(a.pixels, b.pixels)


def test_classify_labels_every_slot_with_a_confidence(door):
    from simsocial.media import dataset

    drawn, _ = dataset.generate(48, 16, seed=9)
    rows = door.classify(drawn)
    assert len(rows) == 48
    for row in rows:
        for slot, values in dataset.ATTRIBUTES.items():
            assert row[slot] in values and 1 / len(values) - 1e-6 <= row[f"{slot}_p"] <= 1
    assert door.features(drawn).shape == (48, 64)
    assert door.classify(np.zeros((0, 16, 16, 3), np.uint8)) == []
    assert door.classify(door.render(["a circle"], [1])) != []


def test_mismatched_prompts_and_seeds_are_refused(door):
    with pytest.raises(ValueError, match="2 prompts but 1 seeds"):
        door.render(["a", "b"], [1])


class FakePipeline:
    """Records how the door calls a diffusers pipeline."""

    made: ClassVar[list[tuple[str, dict]]] = []

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.lora: list[str] = []

    @classmethod
    def from_pretrained(cls, name: str, **kw: object) -> FakePipeline:
        cls.made.append((name, kw))
        return cls()

    def to(self, device: str) -> FakePipeline:
        self.device = device
        return self

    def set_progress_bar_config(self, **kw: object) -> None:
        self.progress = kw

    def load_lora_weights(self, path: str) -> None:
        self.lora.append(f"load {Path(path).name}")

    def unload_lora_weights(self) -> None:
        self.lora.append("unload")

    def __call__(self, **kw: object):
        self.calls.append(kw)
        n = len(kw["prompt"])
        values = np.linspace(0, 1, n * 8 * 8 * 3).reshape(n, 8, 8, 3)

        class Out:
            images = values

        return Out()


def test_the_diffusers_backend_calls_the_pipeline_offline_with_a_generator_per_image(
    tmp_path, monkeypatch
):
    from simsocial.media import diffusers_backend

    FakePipeline.made = []
    monkeypatch.setattr(diffusers_backend, "DiffusionPipeline", FakePipeline)
    door = MediaDoor("diffusers:some/model", tmp_path, steps=4, guidance=3.0)
    images = door.render(["a cat", "a dog"], [7, 8])
    ((name, kw),) = FakePipeline.made
    assert name == "some/model" and kw["local_files_only"] is True
    assert kw["torch_dtype"] == (torch.float16 if torch.cuda.is_available() else torch.float32)
    (call,) = door.backend.pipe.calls
    assert call["prompt"] == ["a cat", "a dog"] and call["output_type"] == "np"
    assert (call["num_inference_steps"], call["guidance_scale"]) == (4, 3.0)
    assert [g.initial_seed() for g in call["generator"]] == [7, 8]
    assert images[1].pixels.dtype == np.uint8 and images[1].pixels.max() == 255
    assert door.render(["a cat"], [7])[0].cached  # cached like the embedded backend's
    adapter = tmp_path / "style.safetensors"
    adapter.write_bytes(b"lora")
    door.render(["a cat"], [70], adapter)
    other = tmp_path / "other.safetensors"
    other.write_bytes(b"other lora")
    door.render(["a cat"], [71], other)
    assert door.backend.pipe.lora == ["load style.safetensors", "unload", "load other.safetensors"]


def test_sampling_settings_in_the_model_string_are_part_of_the_key(door, media_cache):
    other = MediaDoor(TEST_MODEL + "&guidance=1.0", media_cache)
    other.cache.directory = door.cache.directory
    (a,) = door.render(["a red circle"], [4])
    (b,) = other.render(["a red circle"], [4])
    assert not b.cached and a.key != b.key
