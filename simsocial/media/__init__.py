"""Generative media: the image door (`render`), its backends, adapters and the classifier.

Importing this package is cheap: torch, diffusers and peft load only when an image is rendered
or an adapter trained (the optional extra `media`: `pip install 'simsocial[media]'`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simsocial.media.config import EMBEDDED, PRESETS, TinyDDPMConfig, parse_embedded
from simsocial.media.dataset import ATTRIBUTES, SLOTS, Prompt, caption, parse_prompt

if TYPE_CHECKING:
    from simsocial.media.door import Image, MediaDoor

INSTALL_HINT = "generative media need the extra `media`: pip install 'simsocial[media]'"

__all__ = [
    "ATTRIBUTES",
    "EMBEDDED",
    "INSTALL_HINT",
    "PRESETS",
    "SLOTS",
    "Image",
    "MediaDoor",
    "Prompt",
    "TinyDDPMConfig",
    "caption",
    "parse_embedded",
    "parse_prompt",
    "render",
]


def __getattr__(name: str) -> Any:
    if name in ("Image", "MediaDoor", "render"):
        from simsocial.media import door

        return getattr(door, name)
    raise AttributeError(name)
