"""The generative feedback loop as a Mesa model: one step is one generation.

Generation g renders every prompt `images_per_prompt` times through the media door (with the
adapter generation g-1 trained, none for g = 0), labels the images with the classifier, posts
each on the platform (text = its prompt, `image_ref` = its PNG in the run directory), and asks
every viewer to like or skip each image (the choose verb: one round per viewer, all viewers
gathered together). The most liked images then train the next adapter (a LoRA chained from the
previous one). Measures per generation go to model.parquet; one row per image to media.parquet.

Kill and resume: images are a function of (model, adapter, prompt, seed) and cached, adapters
are named by the hash of what trains them, so a step redone after a kill gives the same files
and the same rows as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from simsocial.llm import Session
from simsocial.media import metrics
from simsocial.media.cache import file_digest, png_bytes
from simsocial.media.dataset import ATTRIBUTES, SLOTS, caption
from simsocial.media.door import EmbeddedBackend, Image, MediaDoor
from simsocial.model import EventSink, SimModel
from simsocial.parts import write_atomic
from simsocial.platform import SCHEMAS, Platform
from simsocial.rounds import Rounds
from simsocial.scenarios.media.spec import MediaSpec

STUDIO = 0  # the platform user who posts every image; viewers are users 1..k
MEDIA = pa.schema(
    [
        ("media_id", pa.int64()),
        ("post_id", pa.int64()),
        ("agent", pa.int64()),
        ("step", pa.int64()),
        ("prompt", pa.string()),
        ("seed", pa.int64()),
        ("backend", pa.string()),
        ("adapter", pa.string()),
        ("file", pa.string()),
        ("key", pa.string()),
        *[(name, pa.string() if i == 0 else pa.float64()) for s in SLOTS for i, name in
          enumerate((s, f"{s}_p"))],
        ("matches_prompt", pa.bool_()),
        ("likes", pa.int64()),
        ("trained_on", pa.bool_()),
    ]
)  # fmt: skip


class MediaModel(SimModel):
    """A studio renders, an audience likes, an adapter learns the likes, and round it goes."""

    spec: MediaSpec
    TABLES: ClassVar[dict[str, pa.Schema]] = {"media": MEDIA, **SCHEMAS}
    STATE = (
        "platform",
        "adapter",
        "adapter_digest",
        "reference",
        "baseline",
        "latest",
        "rows",
        "made",
    )

    def __init__(self, spec: MediaSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.params = spec.media
        self.has_starting_state = False
        self.door = MediaDoor(self.params.model, batch=self.params.batch)
        self.platform = Platform()
        self.platform.add_user("studio", "renders the prompt set", "media", -1)
        for viewer in self.params.audience:
            self.platform.add_user(viewer.name, viewer.taste, "media", -1)
        self.adapter: str | None = None  # run-directory path of the adapter now in use
        self.adapter_digest = ""  # its content digest (its name in the media cache)
        self.reference: np.ndarray | None = None  # generation 0's classifier features
        self.baseline = math.nan  # generation 0's taste share
        self.latest: dict[str, float] = {}
        self.rows: list[dict[str, Any]] = []  # media rows not yet drained
        self.made = 0  # images so far (media ids)
        self.timing: Counter[str] = Counter()  # wall-clock, for the manifest only (not state)

    def files(self) -> Path:
        """Where images and adapters go: the run directory, or a scratch folder outside a run."""
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="simsocial-media-"))
        return self.run_dir

    def drain_tables(self) -> dict[str, pa.Table]:
        drained = self.platform.drain()
        if self.rows:
            drained["media"] = pa.Table.from_pylist(self.rows, schema=MEDIA)
            self.rows = []
        return drained

    # --- one generation ------------------------------------------------------------------------

    def step(self) -> None:
        g = self.step_index
        p = self.params
        prompts = [prompt for prompt in p.prompts for _ in range(p.images_per_prompt)]
        seeds = [self.image_seed(g, i) for i in range(len(prompts))]
        adapter = self.adapter_file()
        images = self.door.render(prompts, seeds, adapter)
        labels = self.door.classify(images)
        files = [self.store(g, i, image) for i, image in enumerate(images)]
        posts = [
            self.platform.post(STUDIO, image.prompt, g, image_ref=file)
            for image, file in zip(images, files, strict=True)
        ]
        descriptions = [caption(row) for row in labels]
        liked = self.consult_rounds(
            [self.view(v, descriptions, posts) for v in range(len(p.audience))]
        )
        likes = np.sum(np.array(liked, dtype=bool), axis=0).astype(int)
        chosen = self.most_liked(likes, seeds)
        self.measure(g, images, labels, likes, len(chosen))
        for i, (image, row) in enumerate(zip(images, labels, strict=True)):
            self.rows.append(self.row(g, i, image, row, posts[i], files[i], likes[i], i in chosen))
        self.made += len(images)
        if g + 1 < self.spec.steps and chosen:
            self.train_next(g, [images[i] for i in sorted(chosen)], images)

    def adapter_file(self) -> Path | None:
        """The adapter now in use, in this run directory; a branch (a new directory) copies it
        from the media cache, where every adapter is also kept under its digest."""
        if not self.adapter:
            return None
        path = self.files() / self.adapter
        if not path.exists():
            digest = self.adapter_digest
            kept = self.door.cache_root / "adapters" / f"{digest}.safetensors"
            if not kept.exists():
                where = f"neither in {self.files()} nor in the media cache ({kept})"
                raise FileNotFoundError(f"adapter {self.adapter} is {where}")
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, kept.read_bytes())
        return path

    def image_seed(self, generation: int, index: int) -> int:
        """A seed per (run seed, generation, image), stable across resumes."""
        text = f"{self.spec.seed}|{generation}|{index}"
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")

    def store(self, generation: int, index: int, image: Image) -> str:
        """The image's PNG in the run directory (atomic: a kill never leaves half a file)."""
        relative = f"media/g{generation:03d}-{index:04d}.png"
        target = self.files() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, png_bytes(image.pixels))
        return relative

    def view(self, viewer: int, descriptions: list[str], posts: list[int]) -> Rounds[list[bool]]:
        """One viewer's like-or-skip on every image, asked in one round; the likes go on the
        platform."""
        person = self.params.audience[viewer]
        user = viewer + 1
        asks = [
            self.session.ask_choose(
                self.params.template.format(name=person.name, taste=person.taste, description=text),
                ["like", "skip"],
                rng=self.rng,
                temperature=self.params.temperature,
                meta={"step": self.step_index, "agent_id": user, "purpose": "media.like"},
            )
            for text in descriptions
        ]
        answers = yield asks
        liked = [answer.choice == "like" for answer in answers]
        for post, like in zip(posts, liked, strict=True):
            if like:
                self.platform.like(user, post, self.step_index)
        return liked

    def most_liked(self, likes: np.ndarray, seeds: list[int]) -> set[int]:
        """The top `liked_share` of images by likes, among those with at least `min_likes`.
        Ties are broken by the images' hashed seeds, not their order: by position the first
        prompts would win every tie and the loop would drift towards them with no taste at all."""
        n = max(1, math.ceil(self.params.liked_share * len(likes)))
        order = sorted(range(len(likes)), key=lambda i: (-likes[i], seeds[i]))[:n]
        return {i for i in order if likes[i] >= self.params.min_likes}

    def train_next(self, generation: int, images: list[Image], prior: list[Image]) -> None:
        """The adapter the next generation renders with, named by the hash of its inputs (a
        resumed step finds it instead of training again)."""
        from simsocial.media.lora import train_adapter

        backend = self.door.backend
        if not isinstance(backend, EmbeddedBackend):
            raise ValueError("adapters are trained for the embedded backend only")
        previous = self.adapter_file() if self.params.accumulate else None
        settings = self.params.lora
        inputs = {
            "images": [image.key for image in images],
            "prior": [image.key for image in prior],
            "lora": settings.model_dump(mode="json"),
            "init": file_digest(previous) if previous else None,
            "seed": self.spec.seed,
            "generation": generation,
        }
        digest = hashlib.blake2b(json.dumps(inputs).encode(), digest_size=6).hexdigest()
        relative = f"media/adapters/g{generation + 1:03d}-{digest}.safetensors"
        out = self.files() / relative
        sidecar = out.with_suffix(".json")  # what training said, for a step redone after a kill
        if out.exists() and sidecar.exists():
            trained = json.loads(sidecar.read_text())
            self.timing["adapters_reused"] += 1
        else:
            pixels = np.stack([image.pixels for image in images])
            trained = train_adapter(
                backend.model,
                pixels,
                [image.prompt for image in images],
                settings,
                out,
                seed=self.spec.seed * 1000 + generation,
                init=previous,
                prior=(np.stack([i.pixels for i in prior]), [i.prompt for i in prior]),
            )
            self.timing["adapter_seconds"] += trained.pop("seconds")
            write_atomic(sidecar, json.dumps(trained).encode())
        self.adapter = relative
        digest = self.adapter_digest = file_digest(out)
        kept = self.door.cache_root / "adapters" / f"{digest}.safetensors"
        if not kept.exists():  # content-addressed: what a branch of this run starts from
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(kept, out.read_bytes())
        info = {"generation": generation + 1, "file": relative, "digest": digest}
        self.log("adapter", {**info, **trained})

    # --- measures ------------------------------------------------------------------------------

    def measure(
        self,
        generation: int,
        images: list[Image],
        labels: list[dict[str, Any]],
        likes: np.ndarray,
        trained: int,
    ) -> None:
        features = self.door.features(images)
        tastes = [viewer.taste for viewer in self.params.audience]
        share = metrics.taste_share(labels, tastes)
        if generation == 0 or self.reference is None:
            self.reference, self.baseline = features, share
        low, high = metrics.bootstrap_ci(labels, seed=self.spec.seed + generation, n=400)
        views = len(images) * len(self.params.audience)
        self.latest = {
            "generation": generation,
            "images": len(images),
            "likes": int(likes.sum()),
            "like_rate": float(likes.sum() / views) if views else math.nan,
            "diversity": metrics.diversity(labels),
            "diversity_lo": low,
            "diversity_hi": high,
            "fidelity": metrics.fidelity([image.prompt for image in images], labels),
            "taste_share": share,
            "drift": share - self.baseline,
            "feature_distance": metrics.frechet_distance(features, self.reference),
            "trained_on": trained,
            **{f"share_{c}": metrics.share_of(labels, "colour", c) for c in ATTRIBUTES["colour"]},
        }

    def row(
        self,
        generation: int,
        index: int,
        image: Image,
        labels: dict[str, Any],
        post: int,
        file: str,
        likes: int,
        trained: bool,
    ) -> dict[str, Any]:
        return {
            "media_id": self.made + index,
            "post_id": post,
            "agent": STUDIO,
            "step": generation,
            "prompt": image.prompt,
            "seed": image.seed,
            "backend": image.backend,
            "adapter": self.adapter or "",
            "file": file,
            "key": image.key,
            **{k: labels[k] for s in SLOTS for k in (s, f"{s}_p")},
            "matches_prompt": metrics.matches_prompt(image.prompt, labels),
            "likes": int(likes),
            "trained_on": trained,
        }

    # --- what the runner reads -----------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        names = ["generation", "images", "likes", "like_rate", "diversity", "diversity_lo"]
        names += ["diversity_hi", "fidelity", "taste_share", "drift", "feature_distance"]
        names += ["trained_on", *[f"share_{c}" for c in ATTRIBUTES["colour"]]]
        return {name: _reader(name) for name in names}, {}

    def summary(self) -> dict[str, Any]:
        return {k: self.latest.get(k) for k in ("generation", "diversity", "taste_share")}

    def prompt_templates(self) -> dict[str, str]:
        return {"media.like": hashlib.sha256(self.params.template.encode()).hexdigest()[:12]}

    def manifest_extras(self) -> dict[str, Any]:
        stats = self.door.stats
        return {
            "media": {
                "model": self.params.model,
                "rendered": stats.rendered,
                "cache_hits": stats.cache_hits,
                "render_seconds": round(stats.render_seconds, 2),
                "adapter": self.adapter,
                "adapter_seconds": round(self.timing["adapter_seconds"], 2),
                "adapters_reused": self.timing["adapters_reused"],
            }
        }


def _reader(name: str) -> Any:
    def read(model: MediaModel) -> Any:
        return model.latest.get(name, math.nan)

    return read
