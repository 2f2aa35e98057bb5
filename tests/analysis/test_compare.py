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
