"""The media tests share one door on the `test` preset (trained once per session, seconds) with
its cache in a session folder; torch tests skip when the `media` extra is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_MODEL = "embedded/tiny-ddpm?preset=test"
TWIN_MODEL = "embedded/tiny-ddpm?preset=small"
MISSING = "needs the `media` extra (torch, diffusers, peft): pip install 'simsocial[media]'"


def need_media() -> None:
    for module in ("torch", "diffusers", "peft"):
        pytest.importorskip(module, reason=MISSING)


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media-cache")


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    """Tiny networks gain nothing from a second thread, and on a busy machine two threads
    waiting for each other are many times slower than one."""
    import os

    os.environ.setdefault("SIMSOCIAL_MEDIA_THREADS", "1")
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def trained(media_cache: Path):
    """The test preset's trained model (trained on first use)."""
    need_media()
    from simsocial.media import embedded
    from simsocial.media.config import parse_embedded

    return embedded.load(parse_embedded(TEST_MODEL), media_cache)


@pytest.fixture
def door(trained, media_cache: Path, tmp_path: Path):
    """A door on the trained test model with a fresh image cache per test."""
    from simsocial.media.door import MediaDoor

    made = MediaDoor(TEST_MODEL, media_cache)
    made.cache.directory = tmp_path / "images"
    return made


@pytest.fixture(scope="session")
def trained_twin(media_cache: Path):
    """The model the feedback twins run on: the `small` preset (trained once per session)."""
    need_media()
    from simsocial.media import embedded
    from simsocial.media.config import parse_embedded

    return embedded.load(parse_embedded(TWIN_MODEL), media_cache)
