"""The measures of a generation (hand-computed cases) and the scripted audience: no torch."""

from __future__ import annotations

import numpy as np
import pytest

from simsocial.media import metrics
from simsocial.media.dataset import label_names

RED = {"shape": "circle", "colour": "red", "background": "white", "size": "large"}


def rows(*colours: str) -> list[dict[str, str]]:
    return [{**RED, "colour": c} for c in colours]


def test_entropy_and_diversity_by_hand():
    assert metrics.entropy_bits(["a", "b", "a", "b"]) == pytest.approx(1.0)
    assert metrics.entropy_bits(["a"] * 5) == 0.0
    # colour uniform over 4 values: 1; shape, background, size constant: 0 -> mean 1/4
    assert metrics.diversity(rows("red", "green", "blue", "yellow")) == pytest.approx(0.25)
    assert metrics.diversity(rows("red", "red")) == 0.0
    everything = label_names(np.array([[s, c, b, z] for s in range(3) for c in range(4)
                                       for b in range(2) for z in range(2)]))  # fmt: skip
    assert metrics.diversity(everything) == pytest.approx(1.0)


def test_fidelity_counts_only_what_the_prompt_names():
    labels = rows("red", "blue")
    assert metrics.matches_prompt("a circle", labels[1])
    assert not metrics.matches_prompt("a red circle", labels[1])
    assert metrics.fidelity(["a red circle", "a red circle"], labels) == 0.5
    assert metrics.fidelity(["anything", "a large shape"], labels) == 1.0


def test_taste_share_averages_over_viewers_whose_taste_names_an_attribute():
    labels = rows("red", "red", "blue", "yellow")
    assert metrics.taste_share(labels, ["You love red things."]) == 0.5
    assert metrics.taste_share(labels, ["red", "blue", "I like art"]) == pytest.approx(0.375)
    assert np.isnan(metrics.taste_share(labels, ["I like art"]))
    assert metrics.share_of(labels, "colour", "yellow") == 0.25


def test_frechet_distance_of_gaussians_by_hand():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifted = a + np.array([2.0, 0.0, 0.0])
    assert metrics.frechet_distance(a, shifted) == pytest.approx(4.0, rel=1e-6)
    wide = a * 2.0  # same mean, variances 4: trace(I + 4I - 2*2I) = 3 (1 per dimension)
    assert metrics.frechet_distance(a, wide) == pytest.approx(3.0, rel=0.05)
    few = rng.normal(size=(5, 8))  # fewer images than features: a singular covariance
    assert np.isfinite(metrics.frechet_distance(few, few + 1.0))
    assert np.isnan(metrics.frechet_distance(a[:1], a))


def test_the_bootstrap_interval_holds_the_estimate_and_narrows_with_more_images():
    labels = rows(*(["red"] * 30 + ["blue"] * 20 + ["green"] * 10))
    low, high = metrics.bootstrap_ci(labels, seed=1, n=400)
    assert low <= metrics.diversity(labels) <= high
    wide = metrics.bootstrap_ci(labels[::6], seed=1, n=400)
    assert wide[1] - wide[0] > high - low


def ask(session, description: str, taste: str = "You love red things."):
    import numpy as np

    prompt = f"You are Rosa. {taste}\nImage: {description}\nDo you like it, or skip it?"
    return session.choose(prompt, ["like", "skip"], rng=np.random.default_rng(0))


def test_the_scripted_audience_likes_exactly_its_taste(make_session):
    likes_red = make_session("scripted/taste?likes=red")
    assert ask(likes_red, "a large red circle on a white background").choice == "like"
    assert ask(likes_red, "a large blue circle on a white background").choice == "skip"
    assert ask(likes_red, "a blue circle", taste="You love blue.").choice == "skip"
    from_prompt = make_session("scripted/taste")  # the taste words of the prompt itself
    assert ask(from_prompt, "a small yellow square", taste="You like yellow.").choice == "like"
    assert ask(from_prompt, "a small green square", taste="You like yellow.").choice == "skip"
    with pytest.raises(ValueError, match="does not take"):
        make_session("scripted/taste?colour=red")


def test_the_resampling_null_is_what_learning_the_chosen_images_exactly_gives():
    """Every combination once (diversity 1). Learning only the 12 red ones drops colour's
    entropy to 0, so diversity is at most 3/4; learning all of them leaves it near 1; the
    prior share mixes the whole generation back in."""
    from simsocial.media.dataset import SLOTS, combinations

    previous = label_names(np.array(combinations()))
    red = [i for i, row in enumerate(previous) if row["colour"] == "red"]
    assert len(red) == 12 and metrics.diversity(previous) == pytest.approx(1.0)
    low, high = metrics.resampling_null(previous, red, 48, prior_share=0.0, seed=1)
    shapes_etc = 1 - 1 / len(SLOTS)  # the other three slots at most at their maximum
    assert 0.6 < low <= high <= shapes_etc + 1e-9
    low_all, high_all = metrics.resampling_null(previous, list(range(48)), 48, 0.0, seed=1)
    assert 0.85 < low_all < high_all <= 1.0
    mixed = metrics.resampling_null(previous, red, 48, prior_share=0.5, seed=1)
    assert high < mixed[1] and low < mixed[0]
    assert metrics.resampling_null(previous, red, 48, 0.0, seed=1) == (low, high)  # seeded
    assert np.isnan(metrics.resampling_null(previous, [], 48, 0.5)[0])


def test_a_generation_without_trained_on_images_has_no_null_rather_than_a_failed_one():
    """Nothing trained on in generation 0: generation 1 has no resampling null (NaN bounds,
    within None), not a verdict of "below"; generation 2 has one."""
    from types import SimpleNamespace

    import pandas as pd

    from simsocial.analysis.media import resampling_intervals

    colours = ["red", "green", "blue", "yellow"] * 2
    media = pd.DataFrame(
        [
            {"step": step, **row, "trained_on": step == 1}
            for step in (0, 1, 2)
            for row in rows(*colours)
        ]
    )
    run = SimpleNamespace(table=lambda name: media, spec={})
    null = resampling_intervals(run)
    assert null["generation"].tolist() == [1, 2]
    assert null["within"].tolist()[0] is None and np.isnan(null["null_lo"].iloc[0])
    assert null["within"].tolist()[1] is True  # four colours kept: not narrower than resampling
