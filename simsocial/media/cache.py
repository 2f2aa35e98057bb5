"""Where media live on disk: the cache directory, PNG encoding, and the image cache.

An image is a pure function of (backend, adapter, prompt, seed, sampling settings), so it is
cached under the hash of those, like an LLM reply under its request key: a re-run, a resumed
run or a second run with the same prompts renders nothing. One PNG file per image, written
atomically, so several processes can share the folder and a kill never leaves half an image.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from simsocial.parts import write_atomic


def default_media_dir() -> Path:
    """`$SIMSOCIAL_MEDIA_DIR`, else `media/` beside the LLM cache (`$SIMSOCIAL_CACHE_DIR` or the
    user cache)."""
    env = os.environ.get("SIMSOCIAL_MEDIA_DIR")
    if env:
        return Path(env)
    shared = os.environ.get("SIMSOCIAL_CACHE_DIR")
    if shared:
        return Path(shared) / "media"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simsocial" / "media"


def image_key(**parts: Any) -> str:
    """The content address of an image: a hash of everything that decides its pixels."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def file_digest(path: Path) -> str:
    """A short digest of a file's bytes (adapters are named by it)."""
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=8).hexdigest()


def png_bytes(pixels: np.ndarray) -> bytes:
    """Lossless PNG of a uint8 H x W x 3 array; the same pixels always give the same bytes."""
    buffer = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(pixels), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def read_png(data: bytes | Path) -> np.ndarray:
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    with PILImage.open(io.BytesIO(raw)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


class ImageCache:
    """key -> PNG file under `<directory>/images/<key[:2]>/<key>.png`. A file that does not
    decode is a miss (and is rendered again), never an error."""

    def __init__(self, directory: Path):
        self.directory = Path(directory) / "images"
        self.hits = 0
        self.misses = 0
        self.damaged = 0

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.png"

    def get(self, key: str) -> np.ndarray | None:
        path = self.path(key)
        try:
            pixels = read_png(path)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError):
            self.damaged += 1
            self.misses += 1
            return None
        self.hits += 1
        return pixels

    def put(self, key: str, pixels: np.ndarray) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, png_bytes(pixels))
