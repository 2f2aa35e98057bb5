"""The opinion scenario follows the published protocol and recovers a known majority force."""

from __future__ import annotations

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
