"""Drawing personas from an ANES file: weights matter, exclusions are counted, draws repeat from
their seed, and the sample says how it was drawn."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from anes_rows import ROWS, write_anes

from simsocial.personas.anes import load_anes
from simsocial.personas.anes_sampler import SampleError, sample

DATA = Path(__file__).resolve().parents[1] / "data" / "anes_synthetic.csv"


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory):
    """50 respondents; the first carries weight 1000, the others 1 each (95.3% of the total)."""
    rows = [ROWS[0] | {"V200010b": 1000}]
    rows += [ROWS[1] | {"V200001": 800000 + i, "V200010b": 1} for i in range(49)]
    return load_anes(write_anes(tmp_path_factory.mktemp("heavy") / "a.csv", rows))


def test_weights_matter(heavy) -> None:
    """Weighted, the heavy respondent is about 95% of the draws; unweighted, about 2%."""
    weighted = Counter(r.id for r in sample(heavy, 400, seed=1).personas)
    plain = Counter(r.id for r in sample(heavy, 400, seed=1, weighted=False).personas)
    share, sd = 1000 / 1049, (0.953 * 0.047 / 400) ** 0.5
    assert abs(weighted["900001"] / 400 - share) < 4 * sd
    assert abs(plain["900001"] / 400 - 1 / 50) < 4 * (0.02 * 0.98 / 400) ** 0.5
    once = [sample(heavy, 1, seed=s, replace=False).personas[0].id for s in range(40)]
    assert once.count("900001") >= 30  # without replacement the first pick is still weighted


def test_reproducible_from_the_seed(heavy) -> None:
    first = [r.id for r in sample(heavy, 30, seed=7, weighted=False).personas]
    assert first == [r.id for r in sample(heavy, 30, seed=7, weighted=False).personas]
    assert first != [r.id for r in sample(heavy, 30, seed=8, weighted=False).personas]


def test_exclusions_are_counted_and_the_sample_says_how() -> None:
    """No partisanship (900009) is out either way; weight 0 (900010) only when weighted."""
    data = load_anes(DATA)
    drawn = sample(data, 5, seed=3)
    assert drawn.how["excluded"] == {"missing partisanship": 1, "no positive weight": 1}
    assert drawn.how["eligible"] == 10 and drawn.how["population"] == 12
    assert drawn.how["weighted"] is True and drawn.how["weight_column"] == "V200010b"
    assert drawn.how["replace"] is True and drawn.how["seed"] == 3 and drawn.how["n"] == 5
    assert drawn.how["source"] == "anes-2020-time-series" and len(drawn.how["sha256"]) == 64
    assert drawn.how["distinct_respondents"] == len({r.id for r in drawn.personas})
    assert drawn.how["missing"]["V201600"] == {"-9 refused": 1, "3 unknown code": 1}
    plain = sample(data, 11, seed=3, weighted=False, replace=False)
    assert plain.how["excluded"] == {"missing partisanship": 1}
    assert plain.how["weight_column"] is None and plain.how["distinct_respondents"] == 11
    assert "900009" not in {r.id for r in plain.personas}
    loose = sample(data, 12, seed=3, weighted=False, replace=False, require=())
    assert loose.how["eligible"] == 12


def test_impossible_samples_are_refused() -> None:
    data = load_anes(DATA)
    with pytest.raises(SampleError, match="12 personas without replacement, but only 10"):
        sample(data, 12, seed=0, replace=False)
    with pytest.raises(ValueError, match="unknown fields"):
        sample(data, 1, seed=0, require=("shoe_size",))
    with pytest.raises(ValueError, match="at least 1"):
        sample(data, 0, seed=0)
