"""The survey kind end to end on its scripted twin (`scripted/survey`), whose metrics are known.

The twin gives the true answer the prompt states (survey.oracle) with probability a, else a
uniform one: accuracy a + (1 - a)/k and kappa a(1 - S)/(1 - aS - (1 - a)/k) must fall inside
their intervals, the Brier score is exactly (1 - a)^2 (k - 1)/k, and a per-subgroup a shows up
in that subgroup alone. Intervals checked against a closed form are 99% with 2,000 resamples
(several are checked at once; fewer resamples understate the tails), on the whole sample only
(`subgroups: []`) to stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run, survey
from simsocial.llm.scripted_survey import expected
from simsocial.scenarios.survey.items import BUILTIN
from simsocial.scenarios.survey.model import SurveyModel
from simsocial.spec import parse_scenario

BLACK = "You are Black."
TWIN = "scripted/survey?a=0.7"


def survey_spec(tmp_path: Path, model: str, n: int = 600, **survey: Any) -> Any:
    extra = {k: survey.pop(k) for k in ("seed", "llm") if k in survey}
    data = {
        "name": "audit",
        "kind": "survey",
        "seed": extra.pop("seed", 5),
        "steps": 3,
        "llm": {"model": model, "temperature": 1.0, **extra.pop("llm", {})},
        "survey": {
            "personas": {"synthetic_anes": {"n": n}},
            "oracle": True,
            "bootstrap": {"resamples": 400, "confidence": 0.99},
            **survey,
        },
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
    }
    return parse_scenario(data)


def audit_run(
    tmp_path: Path, model: str, n: int = 600, status: str = "completed", **survey: Any
) -> Any:
    result = simsocial.run(survey_spec(tmp_path, model, n, **survey))
    assert result.status == status, result.manifest.get("error")
    return result, load_run(result.run_dir)


EXACT = {"subgroups": [], "bootstrap": {"resamples": 2000, "confidence": 0.99}}


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return audit_run(tmp_path_factory.mktemp("twin"), TWIN, **EXACT)


def overall(run: Any) -> pd.DataFrame:
    table = survey.audit(run)
    return table[table["subgroup"] == "all"].set_index("item")


def test_the_twin_meets_its_closed_forms(twin):
    """Per item: accuracy and kappa inside their intervals around the closed forms at the
    sample's true shares; the Brier score exactly; every answer carries probabilities."""
    _, run = twin
    answers = run.table("answers")
    assert len(answers) == 3 * 600 and answers["probabilities"].notna().all()
    rows = overall(run)
    for name, item in BUILTIN.items():
        truths = answers.loc[answers["item"] == name, "truth"]
        shares = truths.value_counts(normalize=True).reindex(item.options, fill_value=0)
        known = expected(0.7, shares.to_numpy())
        row = rows.loc[name]
        for metric in ("accuracy", "kappa"):
            assert row[f"{metric}_low"] <= known[metric] <= row[f"{metric}_high"], (name, metric)
        assert row["brier"] == pytest.approx(known["brier"], abs=1e-9)
        assert row["chance"] == pytest.approx(1 / len(item.options))
    curve = survey.reliability_curves(run)["vote_2020"]
    # stated 0.8 is always the truth, stated 0.1 never: the twin knows the answer
    assert curve.set_index("bin").loc[8, "frequency"] == 1.0
    assert curve.set_index("bin").loc[1, "frequency"] == 0.0
    summary = survey.summarize(run)
    assert summary["failed"] == 0 and summary["with_probabilities"] == 1800
    assert summary["vote_2020_accuracy"] == pytest.approx(rows.loc["vote_2020", "accuracy"])


def test_subgroup_gaps_appear_exactly_where_the_twin_puts_them(tmp_path):
    """a = 0.9, but 0.2 for Black personas: every group's accuracy is the mean of its members'
    a_i + (1 - a_i)/k within 4 standard errors, and the verdict names race = Black."""
    model = f"scripted/survey?a=0.9&when={BLACK.replace(' ', '+')}&a_when=0.2"
    _, run = audit_run(tmp_path, model, n=800)
    answers, table = run.table("answers"), survey.audit(run)
    black = answers["race"] == "Black"
    k = answers["k"]
    answers["expected"] = np.where(black, 0.2 + 0.8 / k, 0.9 + 0.1 / k)
    for _, row in table[table["n"] >= 20].iterrows():
        mine = answers[answers["item"] == row["item"]]
        if row["subgroup"] != "all":
            mine = mine[mine[row["subgroup"]] == row["group"]]
        want = mine["expected"].mean()
        assert abs(row["accuracy"] - want) <= 4 * np.sqrt(want * (1 - want) / row["n"]), row
    summary = survey.summarize(run)
    assert summary["weakest_subgroup"] == "race = Black" and summary["weakest_below"] == 3
    assert summary["verdict"].startswith("weakest subgroup: race = Black")
    white = table[(table["subgroup"] == "race") & (table["group"] == "White")]
    assert (white["accuracy_high"] >= overall(run)["accuracy"].reindex(white["item"]).values).all()


def test_a_perfect_twin_is_perfect_on_every_metric(tmp_path):
    """a = 1: accuracy, kappa, V and Spearman 1, distance and Brier 0, for every subgroup."""
    _, run = audit_run(tmp_path, "scripted/survey?a=1", n=150)
    table = survey.audit(run)
    assert (table["accuracy"] == 1).all() and (table["tvd"] == 0).all()
    assert np.allclose(table["brier"], 0)
    rows = overall(run)
    assert np.allclose(rows["kappa"], 1) and np.allclose(rows["cramers_v"], 1)
    assert np.allclose(rows.loc[["party_id", "ideology"], "spearman"], 1)
    assert np.isnan(rows.loc["vote_2020", "spearman"])  # a nominal item has no ranks


def test_without_the_oracle_the_twin_is_at_chance(tmp_path):
    """Nothing states the answer: the twin is uniform, accuracy 1/k and kappa 0."""
    _, run = audit_run(tmp_path, TWIN, n=500, oracle=False, **EXACT)
    rows = overall(run)
    for name, item in BUILTIN.items():
        row = rows.loc[name]
        assert row["accuracy_low"] <= 1 / len(item.options) <= row["accuracy_high"], name
        assert row["kappa_low"] <= 0 <= row["kappa_high"], name


def test_prompts_hide_the_item_shuffle_options_and_take_the_first_person(twin, tmp_path):
    """The item asked is never stated (only by the oracle sentence), options are shuffled, the
    first-person form says "I", and `show: demographics` leaves out party and lists."""
    result, _ = twin
    prompts = [json.loads(p)[-1]["content"] for p in result.llm_calls["prompt"]]
    assert not any("voted for" in p or "identify as" in p for p in prompts)
    first_options = {p.split("Options:\n")[1].splitlines()[0] for p in prompts[:600]}
    assert len(first_options) == 3  # each of Biden, Trump and someone else is shown first
    mine, _ = audit_run(tmp_path, TWIN, n=30, person="first", show="demographics")
    texts = [json.loads(p)[-1]["content"] for p in mine.llm_calls["prompt"]]
    assert all(t.startswith("I am") and "Interviewer:" in t for t in texts)
    assert not any("Democrat." in t.split("Interviewer:")[0] or "love" in t for t in texts)


def test_one_gather_per_item_and_nothing_written(make_session, tmp_path):
    """Three items: three gathers of every persona's ask; the personas are unchanged and the
    model has no agents (no memory anywhere to write into)."""
    spec = survey_spec(tmp_path, TWIN, n=40, personas={"synthetic_anes": {"n": 40}})
    model = SurveyModel(spec, make_session(TWIN))
    before = [p.model_dump() for p in model.personas]
    sizes: list[int] = []
    gather = model._gather
    model._gather = lambda asks: sizes.append(len(asks)) or gather(asks)  # type: ignore[method-assign]
    for step in range(3):
        model.step_index = step
        model.step()
    assert sizes == [40, 40, 40] and model.done
    assert [p.model_dump() for p in model.personas] == before and len(model.agents) == 0


def test_without_logprobs_there_is_no_calibration(tmp_path):
    """logprobs off: answers parsed from text, no probabilities, no Brier, no reliability plot."""
    _, run = audit_run(tmp_path, TWIN, n=60, llm={"logprobs": "off"})
    summary = survey.summarize(run)
    assert summary["with_probabilities"] == 0 and summary["brier_mean"] is None
    assert "vote_2020_brier" not in summary and summary["calibration_error"] is None
    assert [name for name, _ in survey.figures(run)] == ["accuracy_by_subgroup"]


def test_failed_asks_are_counted_by_kind_never_answers(tmp_path):
    """A model naming no option: every ask a parse failure, no answer, no metric."""
    result, run = audit_run(
        tmp_path, "scripted/fixed?answer=maybe", n=20, status="completed_with_failures"
    )
    answers = run.table("answers")
    assert answers["answer"].isna().all() and (answers["error"] == "parse").all()
    summary = survey.summarize(run)
    assert summary["failed"] == summary["asked"] == 60 and summary["answered"] == 0
    assert summary["failed_by_kind"] == {"parse": 60}
    assert summary["verdict"] == "no answers: 60 asks failed (parse: 60)"
    assert result.manifest["survey"]["counts"]["vote_2020"]["failed_parse"] == 20


def test_non_voters_are_not_asked_their_vote(tmp_path):
    """turnout < 1: personas without a vote are counted (no_truth), not asked."""
    result, run = audit_run(
        tmp_path, TWIN, n=100, personas={"synthetic_anes": {"n": 100, "turnout": 0.5}}
    )
    counts = result.manifest["survey"]["counts"]
    assert counts["vote_2020"]["no_truth"] > 0
    assert counts["vote_2020"]["asked"] + counts["vote_2020"]["no_truth"] == 100
    assert survey.summarize(run)["no_truth"] == counts["vote_2020"]["no_truth"]
