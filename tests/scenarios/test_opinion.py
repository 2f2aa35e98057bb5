"""The opinion scenario follows the published protocol and recovers a known majority force."""

from __future__ import annotations

import html
import json
import re

import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.analysis.opinion import summarize

ADOPTION = {
    "name": "adoption_twin",
    "kind": "opinion",
    "steps": 15,
    "llm": {"model": "scripted/majority?beta=3"},
    "opinion": {"experiment": "adoption", "group_size": 50, "queries": 200},
    "outputs": {"report": False},
}


def adoption_run(tmp_path, seed: int, **opinion):
    from simsocial.spec import parse_scenario

    data = json.loads(json.dumps(ADOPTION))
    data["seed"] = seed
    data["opinion"].update(opinion)
    data["outputs"]["dir"] = str(tmp_path / "runs")
    return simsocial.run(parse_scenario(data))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scripted_tanh_policy_beta_is_recovered(tmp_path, seed):
    """The full pipeline (prompt -> scripted tanh policy -> parse -> fit) recovers beta0 = 3."""
    result = adoption_run(tmp_path, seed)
    metrics = summarize(load_run(result.run_dir))
    assert metrics["beta_ci_low"] <= 3.0 <= metrics["beta_ci_high"]
    assert metrics["queries"] == 15 * 200 and metrics["failed"] == 0


def test_prompts_follow_the_published_protocol(tmp_path):
    """Fresh 2-3 letter names, N lines, both labels, majority label random across queries."""
    result = adoption_run(tmp_path, 5, queries=40, grid=[0.6])
    calls = result.llm_calls
    assert len(calls) == 40
    majority_k = 0
    name_sets = []
    for prompt in calls.prompt:
        text = json.loads(prompt)[-1]["content"]
        lines = re.findall(r"^([a-z]{2,3}): ([kz])$", text, flags=re.M)
        assert len(lines) == 50
        labels = [label for _, label in lines]
        majority_k += labels.count("k") > labels.count("z")
        name_sets.append(frozenset(name for name, _ in lines))
        assert "square brackets" in text
    assert 10 < majority_k < 30  # the majority's label is random per query
    assert len(set(name_sets)) == 40  # fresh names on every query


def test_an_always_majority_model_gets_an_open_interval_not_a_crash(tmp_path):
    """At N = 10 a model that always joins the majority (beta = 1000: tanh saturates) separates
    the curve. The run writes report.html; beta is at the cap with the interval [lower, inf),
    and the verdict says every reply joined the majority."""
    from simsocial.spec import parse_scenario

    data = json.loads(json.dumps(ADOPTION))
    data.update(seed=4, steps=5, llm={"model": "scripted/majority?beta=1000"})
    data["opinion"].update(group_size=10, queries=20, grid=[-0.6, -0.2, 0.0, 0.2, 0.6])
    data["outputs"] = {"dir": str(tmp_path / "runs"), "report": True}
    result = simsocial.run(parse_scenario(data))
    assert result.status == "completed"
    assert (result.run_dir / "report.html").exists()
    metrics = summarize(load_run(result.run_dir))
    assert metrics["beta_at_cap"] == 1 and metrics["beta_ci_high"] is None
    assert 0 < metrics["beta_ci_low"] < metrics["beta_mle"]
    verdict = metrics["verdict"]
    assert "beta at or above the cap (50): every reply joined the majority" in verdict
    assert f"95% CI [{metrics['beta_ci_low']:.2f}, inf)" in verdict
    assert "strong majority force" in verdict
    assert verdict in html.unescape((result.run_dir / "report.html").read_text())


def test_a_run_that_starts_at_consensus_reports_zero_time(tmp_path):
    """m0 = 1: consensus before anyone is asked, so T_c/N = 0 and no LLM call is made."""
    from simsocial.spec import parse_scenario

    spec = parse_scenario(
        {
            "name": "at_consensus",
            "kind": "opinion",
            "seed": 1,
            "steps": 3,
            "update": "random_sequential",
            "llm": {"model": "scripted/majority?beta=3"},
            "network": {"generator": "complete", "n": 20},
            "opinion": {"experiment": "dynamics", "initial_m": 1.0},
            "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        }
    )
    result = simsocial.run(spec)
    metrics = summarize(load_run(result.run_dir))
    assert metrics["consensus"] and metrics["tc_over_n"] == 0
    assert metrics["verdict"].startswith("consensus on opinion A after T_c/N = 0.00")
    assert len(result.llm_calls) == 0
