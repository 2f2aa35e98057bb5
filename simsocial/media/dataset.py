"""The captioned dataset the embedded image model and the classifier learn from, made here.

Every image is one shape of one colour and size on a plain background, with jittered position
and colour, and its caption (``a large red circle on a white background``). Nothing is
downloaded, and every generated image has a ground truth: the attributes its prompt named.
Prompts may name only some attributes (``a red shape``, ``a circle``); the rest are left to the
model, which is what lets an adapter move them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

# slot -> its values, in label order; a slot's label is an index into its tuple
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "shape": ("circle", "square", "triangle"),
    "colour": ("red", "green", "blue", "yellow"),
    "background": ("white", "black"),
    "size": ("small", "large"),
}
SLOTS = tuple(ATTRIBUTES)
RGB = {
    "red": (215, 40, 40),
    "green": (40, 170, 60),
    "blue": (45, 85, 220),
    "yellow": (235, 205, 35),
    "white": (240, 240, 240),
    "black": (20, 20, 20),
}
RADIUS = {"small": 0.26, "large": 0.42}  # half the shape's extent, as a share of the side
SUPERSAMPLE = 4  # sub-pixels per pixel side: anti-aliased edges
_WORD = re.compile(r"[a-z]+")
_ALIASES = {"color": "colour", "grey": "gray", "big": "large", "tiny": "small"}


@dataclass(frozen=True)
class Prompt:
    """The attributes a prompt names; None where it leaves one to the model."""

    shape: str | None = None
    colour: str | None = None
    background: str | None = None
    size: str | None = None

    def named(self) -> dict[str, str]:
        return {slot: v for slot in SLOTS if (v := getattr(self, slot)) is not None}

    def codes(self) -> list[int]:
        """Label index per slot; the slot's value count (the null token) where unnamed."""
        return [
            ATTRIBUTES[slot].index(v) if (v := getattr(self, slot)) else len(ATTRIBUTES[slot])
            for slot in SLOTS
        ]


def parse_prompt(text: str) -> Prompt:
    """The attribute words a prompt contains (the first of each slot); other words are ignored,
    so any free text is a valid prompt and one naming nothing is unconditional."""
    found: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        word = _ALIASES.get(word, word)
        for slot, values in ATTRIBUTES.items():
            if word in values and slot not in found:
                found[slot] = word
    return Prompt(**found)


def caption(labels: dict[str, str]) -> str:
    """The caption of a fully or partly specified image, in one fixed word order."""
    size = labels.get("size", "")
    colour = labels.get("colour", "")
    shape = labels.get("shape") or "shape"
    words = " ".join(w for w in (size, colour, shape) if w)
    background = labels.get("background")
    text = f"a {words}"
    return f"{text} on a {background} background" if background else text


def combinations() -> list[tuple[int, ...]]:
    """Every label combination, one index per slot, in a fixed order."""
    return list(itertools.product(*(range(len(v)) for v in ATTRIBUTES.values())))


def draw(
    codes: tuple[int, ...], size: int, rng: np.random.Generator, small: float = RADIUS["small"]
) -> np.ndarray:
    """One uint8 HxWx3 image of the attributes `codes` (label index per slot); `small` is the
    half-extent of a small shape as a share of the side."""
    labels = {slot: ATTRIBUTES[slot][i] for slot, i in zip(SLOTS, codes, strict=True)}
    share = small if labels["size"] == "small" else RADIUS["large"]
    radius = share * size * rng.uniform(0.93, 1.07)
    middle = size / 2
    room = max(0.0, min(1.5, middle - radius - 0.5))  # a little jitter, never off the edge
    centre = rng.uniform(middle - room, middle + room, 2)
    n = size * SUPERSAMPLE
    grid = (np.arange(n) + 0.5) / SUPERSAMPLE
    y, x = np.meshgrid(grid, grid, indexing="ij")
    dy, dx = y - centre[0], x - centre[1]
    if labels["shape"] == "circle":
        mask = dx**2 + dy**2 <= radius**2
    elif labels["shape"] == "square":
        half = radius * 0.85
        mask = (np.abs(dx) <= half) & (np.abs(dy) <= half)
    else:  # an upright triangle inscribed in the circle of `radius`
        top, base = -radius, radius * 0.6
        mask = (dy >= top) & (dy <= base) & (np.abs(dx) <= (dy - top) * 0.62)
    coverage = mask.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3))[..., None]
    jitter = rng.integers(-12, 13, 3)
    fg = np.clip(np.array(RGB[labels["colour"]]) + jitter, 0, 255)
    bg = np.array(RGB[labels["background"]])
    return np.rint(coverage * fg + (1 - coverage) * bg).astype(np.uint8)


def generate(
    n: int, size: int, seed: int, small: float = RADIUS["small"]
) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (uint8, n x size x size x 3) cycling through every combination in a seeded
    order, and their labels (n x slots): balanced, so no attribute value is favoured."""
    rng = np.random.default_rng(seed)
    combos = combinations()
    order = np.concatenate([rng.permutation(len(combos)) for _ in range(-(-n // len(combos)))])
    labels = np.array([combos[i] for i in order[:n]], dtype=np.int64)
    images = np.stack([draw(tuple(row), size, rng, small) for row in labels])
    return images, labels


def label_names(labels: np.ndarray) -> list[dict[str, str]]:
    """Label rows (n x slots) as attribute dicts."""
    return [
        {slot: ATTRIBUTES[slot][int(i)] for slot, i in zip(SLOTS, row, strict=True)}
        for row in labels
    ]
