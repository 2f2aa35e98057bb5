"""Effects of sweep arms against a baseline: paired bootstrap CIs that cover the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simsocial.analysis.compare import arm_means, bootstrap_ci, effects


def sweep_table(effect: float, replicates: int, seed: int, shared_sd: float = 5.0) -> pd.DataFrame:
    """Two topologies x two zealot fractions; replicate r shares a large seed effect everywhere,
    the fraction 0.2 arm adds `effect` on the complete graph and nothing on the ring."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, shared_sd, replicates)
    rows = []
    for topology in ("complete", "ring"):
        for fraction in (0.0, 0.2):
            shift = effect if (fraction == 0.2 and topology == "complete") else 0.0
            for r in range(replicates):
                rows.append(
                    {
                        "variant": "base",
                        "replicate": r,
                        "param.network.generator": topology,
                        "param.zealots": fraction,
                        "status": "completed",
                        "metric.final_m": shared[r] + shift + rng.normal(0, 0.3),
                    }
                )
    return pd.DataFrame(rows)


def test_effects_are_paired_within_each_topology() -> None:
    table = sweep_table(effect=1.0, replicates=12, seed=1)
    result = effects(table, "final_m", baseline={"zealots": 0.0}).set_index("arm")
    assert set(result.index) == {"network.generator=complete, zealots=0.2",
                                 "network.generator=ring, zealots=0.2"}  # fmt: skip
    complete = result.loc["network.generator=complete, zealots=0.2"]
    ring = result.loc["network.generator=ring, zealots=0.2"]
    assert complete.baseline == "network.generator=complete, zealots=0.0"
    assert complete.ci_low < 1.0 < complete.ci_high and complete.significant
    assert ring.ci_low < 0.0 < ring.ci_high and not ring.significant
    # pairing removes the shared seed noise (sd 5): the interval is far narrower than 5
    assert complete.ci_high - complete.ci_low < 1.0


def test_arm_means_carry_the_shared_noise_their_ci_reflects() -> None:
    table = sweep_table(effect=1.0, replicates=12, seed=2)
    means = arm_means(table, "final_m")
    assert len(means) == 4 and (means["n"] == 12).all()
    assert ((means["ci_high"] - means["ci_low"]) > 1.0).all()


def test_bootstrap_ci_covers_the_mean_at_about_the_nominal_rate() -> None:
    rng = np.random.default_rng(0)
    covered = [
        low <= 0.5 <= high
        for low, high in (
            bootstrap_ci(rng.normal(0.5, 1.0, 20), n_resamples=999) for _ in range(200)
        )
    ]
    assert 0.85 <= np.mean(covered) <= 0.99


def test_constant_or_single_samples_get_a_zero_width_interval() -> None:
    assert bootstrap_ci(np.array([2.0, 2.0, 2.0])) == (2.0, 2.0)
    assert bootstrap_ci(np.array([3.0])) == (3.0, 3.0)


def test_a_baseline_the_sweep_did_not_run_is_a_plain_error() -> None:
    table = sweep_table(effect=1.0, replicates=3, seed=3)
    with pytest.raises(ValueError, match=r"zealots=0\.5 is not a value the sweep ran"):
        effects(table, "final_m", baseline={"zealots": 0.5})
    with pytest.raises(ValueError, match="which the sweep does not vary"):
        effects(table, "final_m", baseline={"network.n": 10})


def clear_effect_table(replicates: int) -> pd.DataFrame:
    """Two arms, replicate r of the second 1.0 above replicate r of the first: an unmistakable
    effect whose interval excludes 0 however few pairs there are."""
    rows = [
        {"variant": "base", "replicate": r, "param.zealots": share, "status": "completed",
         "metric.final_m": 0.1 * r + share * 10 + 0.01 * r * r}
        for share in (0.0, 0.1)
        for r in range(replicates)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_three_pairs_show_the_effect_without_a_flag_and_with_a_warning() -> None:
    """3 pairs < MIN_PAIRS (5): the effect and CI are there, `significant` is None, not False."""
    (effect,) = effects(clear_effect_table(3), "final_m").to_dict("records")
    assert effect["n_pairs"] == 3 and effect["effect"] == pytest.approx(1.0)
    assert effect["ci_low"] > 0
    assert effect["significant"] is None
    assert effect["warning"] == "3 pairs: too few for a significance claim (at least 5)"


def test_five_pairs_get_a_flag_and_no_warning() -> None:
    (effect,) = effects(clear_effect_table(5), "final_m").to_dict("records")
    assert effect["significant"] is True and effect["warning"] is None


def test_the_pair_threshold_is_configurable() -> None:
    (few,) = effects(clear_effect_table(3), "final_m", min_pairs=3).to_dict("records")
    assert few["significant"] is True and few["warning"] is None
    (strict,) = effects(clear_effect_table(5), "final_m", min_pairs=8).to_dict("records")
    assert strict["significant"] is None and "(at least 8)" in strict["warning"]
    with pytest.raises(ValueError, match="min_pairs must be at least 1"):
        effects(clear_effect_table(3), "final_m", min_pairs=0)


def test_arm_means_carry_the_replicate_values_in_replicate_order() -> None:
    table = clear_effect_table(3).iloc[::-1]  # rows out of order: values still by replicate
    means = arm_means(table, "final_m").set_index("arm")
    assert means.loc["zealots=0.0", "replicates"] == [0, 1, 2]
    assert means.loc["zealots=0.0", "values"] == pytest.approx([0.0, 0.11, 0.24])
