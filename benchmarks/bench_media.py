"""Media door benchmarks on the default embedded model (trained first if the cache lacks it).

1. images/s through the door (keys, cache lookups, PNG writes: every image a miss) vs the
   sampler called directly (the UNet + DDIM loop the backend wraps); best of `--rounds`,
   paths taking turns. Target: ratio >= 0.9.
2. LoRA adapter training time per 100 images (the scenario's default settings).
3. Classifier accuracy on generated images: every full caption the model was trained on,
   `--seeds` images each; an image counts when all four labels match its prompt. Target: >= 0.9.

    .venv/bin/python benchmarks/bench_media.py [--model embedded/tiny-ddpm] [--images 96]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from simsocial.media import dataset
from simsocial.media.config import ImageLora
from simsocial.media.door import MediaDoor


def captions() -> list[str]:
    return [
        dataset.caption(dict(zip(dataset.SLOTS, (dataset.ATTRIBUTES[s][i] for s, i in
                                                 zip(dataset.SLOTS, codes, strict=True)),
                                 strict=True)))
        for codes in dataset.combinations()
    ]  # fmt: skip


def throughput(door: MediaDoor, n: int, rounds: int) -> dict[str, float]:
    model = door.backend.model  # type: ignore[attr-defined]
    prompts = [captions()[i % 48] for i in range(n)]
    best = {"door": 0.0, "direct": 0.0}
    for r in range(rounds):
        seeds = [10_000 * (r + 1) + i for i in range(n)]
        for path in ("door", "direct") if r % 2 == 0 else ("direct", "door"):
            with tempfile.TemporaryDirectory() as cold:
                door.cache.directory = Path(cold)
                started = time.perf_counter()
                if path == "door":
                    door.render(prompts, seeds)
                else:
                    for i in range(0, n, door.batch):
                        model.sample(prompts[i : i + door.batch], seeds[i : i + door.batch])
                best[path] = max(best[path], n / (time.perf_counter() - started))
    return {
        "door_images_per_s": round(best["door"], 2),
        "direct_images_per_s": round(best["direct"], 2),
        "ratio": round(best["door"] / best["direct"], 3),
    }


def lora_time(door: MediaDoor) -> dict[str, float]:
    from simsocial.media.lora import train_adapter

    model = door.backend.model  # type: ignore[attr-defined]
    images, labels = dataset.generate(100, 16, seed=5, small=model.config.small_size)
    prompts = [dataset.caption({"shape": n["shape"]}) for n in dataset.label_names(labels)]
    with tempfile.TemporaryDirectory() as folder:
        info = train_adapter(model, images, prompts, ImageLora(), Path(folder) / "a.safetensors")
    return {"lora_seconds_per_100_images": info["seconds"], "adapter_bytes": info["bytes"]}


def accuracy(door: MediaDoor, seeds: int) -> dict[str, float]:
    prompts = [c for c in captions() for _ in range(seeds)]
    images = door.render(prompts, [7_000 + i for i in range(len(prompts))])
    labels = door.classify(images)
    named = [dataset.parse_prompt(p).named() for p in prompts]
    per_slot = {
        f"accuracy_{slot}": round(float(np.mean([row[slot] == n[slot] for row, n in
                                                 zip(labels, named, strict=True)])), 4)
        for slot in dataset.SLOTS
    }  # fmt: skip
    exact = np.mean(
        [all(row[s] == v for s, v in n.items()) for row, n in zip(labels, named, strict=True)]
    )
    return {"classifier_accuracy_generated": round(float(exact), 4), **per_slot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded/tiny-ddpm")
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    door = MediaDoor(args.model)
    info = door.backend.model.info  # type: ignore[attr-defined]
    print(f"model ready in {time.perf_counter() - started:.1f} s: {json.dumps(info)}")
    results = {
        **throughput(door, args.images, args.rounds),
        **lora_time(door),
        **accuracy(door, args.seeds),
    }
    for key, value in results.items():
        print(f"{key:34s} {value}")
    ok = results["ratio"] >= 0.9 and results["classifier_accuracy_generated"] >= 0.9
    print("targets met" if ok else "TARGET MISSED: ratio >= 0.9 and accuracy >= 0.9")


if __name__ == "__main__":
    main()
