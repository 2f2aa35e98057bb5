"""The captioned dataset, prompt parsing and model strings: no torch needed."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from simsocial.media import dataset
from simsocial.media.config import PRESETS, TinyDDPMConfig, parse_embedded
from simsocial.media.dataset import ATTRIBUTES, SLOTS, Prompt, caption, parse_prompt


def test_every_caption_parses_back_to_its_attributes():
    for codes in dataset.combinations():
        labels = {slot: ATTRIBUTES[slot][i] for slot, i in zip(SLOTS, codes, strict=True)}
        assert parse_prompt(caption(labels)).named() == labels


def test_prompts_may_leave_attributes_open_and_free_words_are_ignored():
    assert parse_prompt("a circle") == Prompt(shape="circle")
    assert parse_prompt("Big RED thing, please!") == Prompt(colour="red", size="large")
    assert parse_prompt("a lovely picture").named() == {}
    assert parse_prompt("a red circle").codes() == [0, 0, 2, 2]  # open slots: the null index
    assert caption({"colour": "blue"}) == "a blue shape"


def test_the_dataset_is_balanced_seeded_and_draws_what_it_says():
    images, labels = dataset.generate(96, 16, seed=3)
    assert images.shape == (96, 16, 16, 3) and images.dtype == np.uint8
    for i, slot in enumerate(SLOTS):  # 96 = 2 x 48 combinations: every value equally often
        counts = Counter(labels[:, i].tolist())
        assert len(set(counts.values())) == 1 and len(counts) == len(ATTRIBUTES[slot])
    again, _ = dataset.generate(96, 16, seed=3)
    assert np.array_equal(images, again)
    assert not np.array_equal(images, dataset.generate(96, 16, seed=4)[0])
    for image, names in zip(images, dataset.label_names(labels), strict=True):
        corner = image[0, 0].astype(int)  # shapes never reach the corner: background colour
        assert np.abs(corner - dataset.RGB[names["background"]]).max() <= 1
        centre_colours = image.reshape(-1, 3).astype(int)
        target = np.array(dataset.RGB[names["colour"]])
        assert (np.abs(centre_colours - target).max(axis=1) <= 12).sum() >= 4  # solid interior


def test_large_shapes_cover_more_pixels_than_small_ones():
    images, labels = dataset.generate(192, 16, seed=0)
    background = np.array(
        [
            dataset.RGB[dataset.label_names(labels[i : i + 1])[0]["background"]]
            for i in range(len(labels))
        ]
    )
    covered = (np.abs(images.astype(int) - background[:, None, None]).sum(-1) > 30).sum((1, 2))
    size = labels[:, SLOTS.index("size")]
    assert covered[size == 1].min() > covered[size == 0].max() * 0.9
    assert covered[size == 1].mean() > 2 * covered[size == 0].mean()


def test_the_small_size_setting_grows_small_shapes_only():
    """`small_size` (a config field) redraws small shapes bigger and leaves large ones alone."""
    images, labels = dataset.generate(96, 16, seed=2)
    bigger, same_labels = dataset.generate(96, 16, seed=2, small=0.32)
    assert np.array_equal(labels, same_labels)
    large = labels[:, SLOTS.index("size")] == ATTRIBUTES["size"].index("large")
    assert np.array_equal(images[large], bigger[large])
    background = np.array([dataset.RGB[n["background"]] for n in dataset.label_names(labels)])

    def covered(batch: np.ndarray) -> np.ndarray:
        return (np.abs(batch.astype(int) - background[:, None, None]).sum(-1) > 30).sum((1, 2))

    assert (covered(bigger)[~large] > covered(images)[~large]).all()


def test_model_strings_choose_presets_and_override_fields():
    assert parse_embedded("embedded/tiny-ddpm") == PRESETS["default"]
    tiny = parse_embedded("embedded/tiny-ddpm?preset=test&train_steps=3&channels=8,16&lr=0.01")
    assert (tiny.train_steps, tiny.channels, tiny.lr) == (3, (8, 16), 0.01)
    with pytest.raises(ValueError, match="unknown key 'epochs'"):
        parse_embedded("embedded/tiny-ddpm?epochs=3")
    with pytest.raises(ValueError, match="train_steps='many'"):
        parse_embedded("embedded/tiny-ddpm?train_steps=many")
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        parse_embedded("embedded/tiny-ddpm?preset=huge")
    assert parse_embedded("embedded/tiny-ddpm?global_cond=false").global_cond is False
    assert parse_embedded("embedded/tiny-ddpm?preset=test&global_cond=1").global_cond is True
    with pytest.raises(ValueError, match="global_cond='maybe'"):
        parse_embedded("embedded/tiny-ddpm?global_cond=maybe")


def test_the_weights_hash_changes_with_training_fields_only():
    base = TinyDDPMConfig()
    assert TinyDDPMConfig(guidance=5.0, inference_steps=50).train_hash() == base.train_hash()
    assert TinyDDPMConfig(train_steps=1).train_hash() != base.train_hash()
    assert TinyDDPMConfig(seed=1).train_hash() != base.train_hash()


def test_unknown_media_models_are_refused_in_one_line():
    from simsocial.media.door import check_model

    check_model("embedded/tiny-ddpm?preset=test")
    check_model("diffusers:stabilityai/sd-turbo")
    for bad in ("dalle/3", "diffusers:", "embedded/tiny-ddpmx"):
        with pytest.raises(ValueError, match="unknown media model"):
            check_model(bad)
