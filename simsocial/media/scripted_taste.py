"""The scripted audience (``scripted/taste``): likes exactly the images its taste names.

A like/skip choice whose prompt has an ``Image: <description>`` line is answered ``like`` iff
the description contains one of the taste words, else ``skip``; the words are ``likes=red`` (a
comma-separated list) or, without it, the attribute words (simsocial.media.dataset) of the
prompt before the image line (the viewer's stated taste; the option instructions after it say
"square brackets"). Other requests are answered as ``scripted/random``
would: uniformly. So the feedback experiment's twin has a known answer: only images of the
liked colour are ever trained on, and that colour's share must rise.
"""

from __future__ import annotations

import hashlib
import math
import re

from simsocial.llm.types import ProviderRequest
from simsocial.media.dataset import ATTRIBUTES

PARAMS = {"likes"}
IMAGE_LINE = re.compile(r"^[ \t]*Image:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
OPTION = re.compile(r"^[ \t]*(\w+)\)[ \t]+(.+?)[ \t]*$", re.MULTILINE)
WORD = re.compile(r"[a-z]+")
VOCABULARY = frozenset(v for values in ATTRIBUTES.values() for v in values)


def _uniform(*parts: object) -> float:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


def taste_words(prompt: str, params: dict[str, str]) -> set[str]:
    """What this viewer likes: the `likes` parameter, or the attribute words before the image
    line."""
    if params.get("likes"):
        return {w.strip().casefold() for w in params["likes"].split(",") if w.strip()}
    image = IMAGE_LINE.search(prompt)
    before = prompt[: image.start()] if image is not None else prompt
    return set(WORD.findall(before.casefold())) & VOCABULARY


def answer(
    request: ProviderRequest, key: str, prompt: str, params: dict[str, str]
) -> tuple[str, dict[str, float] | None]:
    """The reply text and, when asked, the label distribution."""
    labels = request.choice_labels or []
    if not labels:
        return params.get("text", "ok"), None
    names = {label.casefold(): i for i, label in enumerate(labels)}
    shown = {label: i for i, label in enumerate(labels)}
    for label, text in OPTION.findall(prompt):
        if label in shown:
            names.setdefault(text.strip().casefold(), shown[label])
    image = IMAGE_LINE.search(prompt)
    probs = [1.0 / len(labels)] * len(labels)
    if image is not None and "like" in names and "skip" in names:
        liked = bool(set(WORD.findall(image.group(1).casefold())) & taste_words(prompt, params))
        probs = [0.0] * len(labels)
        probs[names["like" if liked else "skip"]] = 1.0
    u, total, pick = _uniform(key), 0.0, len(labels) - 1
    for i, p in enumerate(probs):
        total += p
        if u < total:
            pick = i
            break
    logprobs = {lb: math.log(p) for lb, p in zip(labels, probs, strict=True) if p > 0}
    return f"[{labels[pick]}]", logprobs if request.want_logprobs else None
