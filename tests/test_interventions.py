"""Interventions: each kind changes what it should and is logged; conditions fire on time; bad
entries are located one-line errors; a resumed run keeps what fired."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import Field

import simsocial
from simsocial.analysis import load_run
from simsocial.interventions import (
    KINDS,
    Act,
    ConditionError,
    InterventionError,
    Schedule,
    Selector,
    intervention,
    parse_condition,
)
from simsocial.runner import resume
from simsocial.scenarios.opinion.model import OpinionModel
from simsocial.spec import SpecError, parse_scenario
from simsocial.spec_models import StrictModel

cli = pytest.importorskip("simsocial.cli")


def dynamics(tmp_path: Path, interventions: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "iv",
        "kind": "opinion",
        "seed": 5,
        "steps": 4,
        "update": "random_sequential",
        "llm": {"model": "scripted/majority?beta=1", "temperature": 0.2},
        "network": {"generator": "complete", "n": 20},
        "opinion": {"experiment": "dynamics", "initial_m": 0.0},
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        "interventions": interventions,
    }
    data.update(over)
    return data


def run(tmp_path: Path, interventions: list[dict[str, Any]], **over: Any) -> simsocial.Result:
    result = simsocial.run(parse_scenario(dynamics(tmp_path, interventions, **over)))
    assert result.status == "completed", result.manifest.get("error")
    return result


def fired(result: simsocial.Result) -> list[dict[str, Any]]:
    events = result.events
    rows = events[events.kind == "intervention"]
    return [
        {"at_step": int(s), **json.loads(p)} for s, p in zip(rows.step, rows.payload, strict=True)
    ]


def opinions(result: simsocial.Result, step: int) -> dict[int, str]:
    agents = result.agents
    rows = agents[agents.step == step]
    return dict(zip(rows.agent_id.astype(int), rows.opinion, strict=True))


def test_set_state_zealots_never_change_and_are_logged(tmp_path):
    """Zealots chosen by ids hold B at every step, cost no calls, and the event names them."""
    result = run(
        tmp_path,
        [
            {
                "at": 1,
                "do": "set_state",
                "select": {"ids": [1, 2, 3]},
                "state": {"zealot": True, "opinion": "B"},
            }
        ],
    )
    (event,) = fired(result)
    assert event["at_step"] == 1 and event["do"] == "set_state" and event["ids"] == [1, 2, 3]
    for step in (1, 2, 3):
        assert all(opinions(result, step)[i] == "B" for i in (1, 2, 3))
    late = result.llm_calls[result.llm_calls.step >= 1]
    assert not set(late.agent_id) & {1, 2, 3}
    assert result.model.zealots.tolist() == [0, 0, 3, 3, 3]  # step -1: the starting state


def test_fraction_selector_is_seeded_and_sized(tmp_path):
    """fraction: 0.25 of 20 agents picks 5, the same ones for the same seed."""
    entry = {"at": 0, "do": "set_state", "select": {"fraction": 0.25}, "state": {"zealot": True}}
    first = fired(run(tmp_path / "a", [entry]))[0]["ids"]
    second = fired(run(tmp_path / "b", [entry]))[0]["ids"]
    assert len(first) == 5 and first == second


def test_trait_and_top_degree_selectors(tmp_path):
    """trait picks by current opinion; top_degree picks the biggest hub of the network."""
    result = run(
        tmp_path,
        [
            {
                "at": 0,
                "do": "set_state",
                "select": {"trait": {"opinion": "A"}},
                "state": {"zealot": True},
            },
            {"at": 0, "do": "remove_agents", "select": {"top_degree": 1}},
        ],
        network={"generator": "barabasi_albert", "n": 20, "params": {"m": 1}},
    )
    trait, hub = fired(result)
    assert len(trait["ids"]) == 10  # initial_m = 0: half hold A
    for step in range(4):
        assert all(opinions(result, step).get(i, "A") == "A" for i in trait["ids"])
    initial = load_run(result.run_dir).graph(-1)
    degree = dict(initial.degree())
    assert len(hub["ids"]) == 1 and degree[hub["ids"][0]] == max(degree.values())
    assert hub["ids"][0] not in opinions(result, 0) and len(opinions(result, 0)) == 19


def test_add_agents_joins_network_and_counts(tmp_path):
    """Added zealots appear in the agent table holding B, linked to k others, and shift m."""
    result = run(
        tmp_path,
        [
            {
                "at": 2,
                "do": "add_agents",
                "count": 4,
                "state": {"zealot": True, "opinion": "B"},
                "connect": 3,
            }
        ],
    )
    (event,) = fired(result)
    assert len(event["ids"]) == 4 and all(len(links) == 3 for links in event["links"])
    assert len(opinions(result, 1)) == 20 and len(opinions(result, 2)) == 24
    assert all(opinions(result, 3)[i] == "B" for i in event["ids"])
    model = result.model.set_index("step")
    assert model.loc[2, "n_a"] + model.loc[2, "n_b"] == 24


def test_remove_edges_cuts_links(tmp_path):
    """remove_edges with select cuts every link of agent 1: it is shown no friends afterwards."""
    result = run(tmp_path, [{"at": 1, "do": "remove_edges", "select": {"ids": [1]}}])
    (event,) = fired(result)
    assert len(event["edges"]) == 19 and all(1 in e for e in event["edges"])
    calls = result.llm_calls
    late = calls[(calls.step >= 1) & (calls.agent_id == 1)]
    assert len(late) > 0 and not late.prompt.str.contains(r"\\n[a-z]{2,3}: [kz]").any()


def test_set_param_changes_temperature_and_prompt(tmp_path):
    """llm.temperature and opinion.template changed at step 2 are what later calls use."""
    template = "NEW PROMPT\n{friends}\nReply with your opinion in square brackets."
    result = run(
        tmp_path,
        [
            {"at": 2, "do": "set_param", "path": "llm.temperature", "value": 0.9},
            {"at": 2, "do": "set_param", "path": "opinion.template", "value": template},
        ],
    )
    calls = result.llm_calls
    assert set(calls[calls.step < 2].temperature) == {0.2}
    assert set(calls[calls.step >= 2].temperature) == {0.9}
    assert not calls[calls.step < 2].prompt.str.contains("NEW PROMPT").any()
    assert calls[calls.step >= 2].prompt.str.contains("NEW PROMPT").all()
    assert [e["path"] for e in fired(result)] == ["llm.temperature", "opinion.template"]


def test_set_param_changes_model_string(tmp_path):
    """llm.model switched to a fixed policy at step 1: everyone answers the fixed label after."""
    result = run(
        tmp_path,
        [{"at": 1, "do": "set_param", "path": "llm.model", "value": "scripted/fixed?answer=k"}],
    )
    calls = result.llm_calls
    assert set(calls[calls.step >= 1].model) == {"scripted/fixed?answer=k"}
    assert set(calls[calls.step >= 1].reply) == {"[k]"}


def test_broadcast_note_reaches_next_prompt_once(tmp_path):
    """A broadcast is shown at the top of each receiver's next prompt, and only that one."""
    result = run(
        tmp_path,
        [{"at": 1, "do": "broadcast", "select": {"ids": [4]}, "message": "Breaking: storm"}],
        update="synchronous",
    )
    calls = result.llm_calls
    mine = calls[calls.agent_id == 4].sort_values("step")
    shown = mine.prompt.str.contains("Breaking: storm").tolist()
    assert shown == [False, True, False, False]
    assert fired(result)[0]["message"] == "Breaking: storm"


def test_when_fires_once_at_first_step_condition_holds(tmp_path):
    """`when: step >= 2` fires at step 2 only; with repeat it fires at 2 and 3."""
    once = {"when": "step >= 2", "do": "broadcast", "message": "x", "select": {"ids": [1]}}
    again = {**once, "repeat": True}
    result = run(tmp_path, [once, again])
    steps = [(e["index"], e["at_step"]) for e in fired(result)]
    assert steps == [(0, 2), (1, 2), (1, 3)]


def test_when_reads_model_metrics(tmp_path):
    """A condition on m fires at the first step whose incoming m satisfies it."""
    result = run(
        tmp_path,
        [{"when": "m > 0.5", "do": "broadcast", "message": "x", "select": {"ids": [1]}}],
        steps=10,
        llm={"model": "scripted/majority?beta=8"},
        opinion={"experiment": "dynamics", "initial_m": 0.2},
    )
    (event,) = fired(result)
    m = result.model.set_index("step")["m"]
    step = event["at_step"]
    assert m.loc[step - 1] > 0.5 and (step == 1 or m.loc[step - 2] <= 0.5)


@pytest.mark.parametrize(
    "text",
    ["m > 0.5", "abs(m) >= 0.9", "step >= 10 and m < 0", "not (m < -0.5 or max(m, 0) > 2)"],
)
def test_conditions_parse(text):
    """Comparisons, boolean logic and abs/min/max are allowed."""
    assert parse_condition(text).holds({"m": 0.95, "step": 12}) == eval(
        text, {"abs": abs, "max": max}, {"m": 0.95, "step": 12}
    )


@pytest.mark.parametrize(
    "text", ["__import__('os')", "m.real > 0", "[m][0] > 0", "m > 'a'", "lambda: 1", "m >"]
)
def test_unsafe_or_broken_conditions_are_refused(text):
    """Attribute access, indexing, strings, lambdas and syntax errors never reach evaluation."""
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_validate_locates_bad_entries(tmp_path, capsys):
    """Unknown kinds (with a suggestion), bad conditions and bad keys are one located line each."""
    path = tmp_path / "x.yaml"
    path.write_text(
        "name: x\nkind: opinion\nnetwork: {n: 10}\nopinion: {experiment: dynamics}\n"
        "interventions:\n"
        "  - {at: 0, do: set_stat, state: {zealot: true}}\n"
        "  - {when: \"open('f')\", do: broadcast, message: hi}\n"
        "  - {at: 1, do: broadcast, mesage: hi}\n"
    )
    assert cli.main(["validate", str(path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[1:] == [
        f"{path}:6: interventions.0.do: unknown intervention kind 'set_stat'"
        " (did you mean 'set_state'?)",
        f"{path}:7: interventions.1.when: calls open(); only abs(), min() and max() are allowed",
        f"{path}:8: interventions.2.message: is required",
        f"{path}:8: interventions.2.mesage: unknown key 'mesage' (did you mean 'message'?)"
        " for `do: broadcast`",
    ]


def test_validate_checks_set_param_against_the_kind(tmp_path, capsys):
    """A set_param value is validated like the scenario's own key; fixed keys are refused."""
    path = tmp_path / "x.yaml"
    path.write_text(
        "name: x\nkind: opinion\n"
        "interventions:\n"
        "  - {at: 1, do: set_param, path: llm.temperature, value: hot}\n"
        "  - {at: 1, do: set_param, path: seed, value: 2}\n"
    )
    assert cli.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4: interventions.0.value: llm.temperature: must be a number" in err
    assert f"{path}:5: interventions.1.path: 'seed' cannot change mid-run" in err


def test_unknown_metric_fails_the_run_in_one_line(tmp_path, capsys):
    """A condition naming no metric of the model stops the run before step 0, one line."""
    path = tmp_path / "x.yaml"
    spec = dynamics(tmp_path, [{"when": "mm > 1", "do": "broadcast", "message": "x"}])
    path.write_text(json.dumps(spec))
    assert cli.main(["run", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "interventions.0.when: unknown metric 'mm' (did you mean 'm'?)" in err
    assert "Traceback" not in err


def test_resume_after_interrupt_keeps_fired_interventions(tmp_path, monkeypatch):
    """Interrupted after interventions fired (one of them in the step cut short), the resumed
    run equals an uninterrupted one."""
    entries = [
        {
            "at": 1,
            "do": "add_agents",
            "count": 3,
            "state": {"zealot": True, "opinion": "B"},
            "connect": 5,
        },
        {"at": 2, "do": "remove_edges", "fraction": 0.2},
        {"at": 2, "do": "set_state", "select": {"fraction": 0.2}, "state": {"zealot": True}},
        {"when": "step >= 3", "do": "set_param", "path": "llm.temperature", "value": 0.8},
        {"at": 3, "do": "broadcast", "select": {"random": 5}, "message": "news"},
        {"at": 5, "do": "set_state", "select": {"random": 2}, "state": {"zealot": True}},
    ]
    data = dynamics(
        tmp_path,
        entries,
        steps=7,
        network={"generator": "erdos_renyi", "n": 20, "params": {"p": 0.4}},
    )
    reference = simsocial.run(parse_scenario(data), out=tmp_path / "reference")
    step = OpinionModel.step

    def interrupted(self: OpinionModel) -> None:
        if self.step_index == 5:
            raise KeyboardInterrupt
        step(self)

    monkeypatch.setattr(OpinionModel, "step", interrupted)
    killed = simsocial.run(parse_scenario(data), out=tmp_path / "killed")
    assert killed.status == "interrupted"
    monkeypatch.setattr(OpinionModel, "step", step)
    resumed = resume(tmp_path / "killed")
    assert resumed.status == "completed"
    for name in ("events", "model", "agents"):
        got = getattr(load_run(resumed.run_dir), name)
        pd.testing.assert_frame_equal(got, getattr(load_run(reference.run_dir), name))
    calls = load_run(resumed.run_dir).llm_calls
    assert set(calls[calls.step >= 5].temperature) == {0.8}
    assert [e["at_step"] for e in fired(resumed)] == [1, 2, 2, 3, 3, 5]  # step 5: once


class FlipParams(StrictModel):
    select: Selector = Field(default_factory=Selector)


def flip(act: Act) -> dict[str, Any]:
    """The README's example of a scenario's own kind."""
    ids = act.select(act.params.select)
    agents = act.model.intervention_agents()
    for i in ids:
        agents[i].opinion = "B" if agents[i].opinion == "A" else "A"
    act.model.agents_changed(ids)
    return {"ids": ids}


def test_a_registered_kind_validates_and_runs(tmp_path, monkeypatch):
    """A kind added with @intervention is accepted by the spec and applied like the built-ins."""
    monkeypatch.setitem(KINDS, "flip", KINDS["set_state"])  # the key is removed afterwards
    intervention("flip", FlipParams)(flip)
    zealots = {"at": 0, "do": "set_state", "select": {"ids": [1, 2]}, "state": {"zealot": True}}
    result = run(tmp_path, [zealots, {"at": 1, "do": "flip", "select": {"ids": [1, 2]}}])
    event = fired(result)[1]
    assert event["do"] == "flip" and event["ids"] == [1, 2]
    before, after = opinions(result, 0), opinions(result, 1)
    assert all(before[i] != after[i] for i in (1, 2))
    with pytest.raises(simsocial.spec.SpecError, match=r"interventions\.0\.ids: unknown key 'ids'"):
        parse_scenario(dynamics(tmp_path, [{"at": 1, "do": "flip", "ids": [1]}]))


def growth(tmp_path: Path, interventions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "grow",
        "kind": "growth",
        "seed": 2,
        "steps": 12,
        "llm": {"model": "scripted/degree"},
        "growth": {"n": 15, "m": 2, "naming": "sequential"},
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        "interventions": interventions,
    }


def test_growth_prompt_change_and_edge_cuts(tmp_path):
    """Growth: a new template is used from its step on; cut links lower the follower counts."""
    template = "PICK ONE\n{candidates}\nReply with a name in square brackets."
    new_prompt = {"at": 4, "do": "set_param", "path": "growth.template", "value": template}
    cut = {"at": 4, "do": "remove_edges", "edges": [[0, 1], [0, 2], [1, 2]]}
    runs = [
        simsocial.run(parse_scenario(growth(tmp_path / name, entries)))
        for name, entries in (("cut", [new_prompt, cut]), ("kept", [new_prompt]))
    ]
    calls, kept = (r.llm_calls for r in runs)
    assert calls[calls.step >= 4].prompt.str.contains("PICK ONE").all()
    assert not calls[calls.step < 4].prompt.str.contains("PICK ONE").any()

    def followers(prompt: str) -> dict[str, int]:
        return {n: int(k) for n, k in re.findall(r"user(\d+) \(followers: (\d+)\)", prompt)}

    after, before = (followers(c[c.step == 4].prompt.iloc[0]) for c in (calls, kept))
    assert after.keys() == before.keys() and {"0", "1", "2"} <= after.keys()
    assert all(after[n] == before[n] - (2 if n in ("0", "1", "2") else 0) for n in after)


def test_unsupported_kind_is_refused_at_validate(tmp_path):
    """add_agents needs a model hook that growth lacks: one line naming the entry, before any
    run directory exists."""
    with pytest.raises(SpecError, match=r"interventions\.0\.do: scenario kind 'growth' does not"):
        parse_scenario(growth(tmp_path, [{"at": 3, "do": "add_agents", "count": 2}]))
    assert not (tmp_path / "runs").exists()


def test_a_condition_that_divides_by_zero_stops_the_run(tmp_path, capsys):
    """Not silently false forever: the run stops with the condition, the step and the values."""
    entry = {"when": "m / (n_a - n_a) > 1", "do": "broadcast", "message": "x"}
    with pytest.raises(InterventionError) as info:
        simsocial.run(parse_scenario(dynamics(tmp_path, [entry])))
    assert str(info.value) == (
        "interventions.0.when: `m / (n_a - n_a) > 1` cannot be evaluated at step 0: divides by "
        "zero (m = 0.0, n_a = 10)"
    )
    path = tmp_path / "x.yaml"
    path.write_text(json.dumps(dynamics(tmp_path / "cli", [entry])))
    assert cli.main(["run", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "divides by zero" in err and "Traceback" not in err


def test_a_selector_naming_no_trait_is_an_error_at_run_time_too(tmp_path, make_session):
    """Built in Python past validation, an unknown trait still never selects nobody silently."""
    from simsocial.interventions.select import select

    model = OpinionModel(parse_scenario(dynamics(tmp_path, [])), make_session("scripted/random"))
    with pytest.raises(InterventionError, match="no agent has a trait 'colour'"):
        select(model, Selector(trait={"colour": "red"}))
    assert len(select(model, Selector(trait={"node": [0, 1, 2]}))) == 3


def test_unfired_interventions_are_listed(tmp_path):
    """What never fired is said, with why, for the manifest and the summary."""
    entries = [
        {"at": 1, "do": "broadcast", "message": "x"},
        {"at": 3, "do": "broadcast", "message": "y"},
        {"when": "m > 5", "do": "broadcast", "message": "z"},
    ]
    schedule = Schedule(parse_scenario(dynamics(tmp_path, entries)).interventions)
    schedule.fired = [{"index": 0, "do": "broadcast", "step": 1}]
    assert schedule.unfired(steps_done=2) == [
        "interventions.1 (broadcast at step 3): never fired; the run ended after 2 steps",
        "interventions.2 (broadcast when `m > 5`): the condition never held; the run ended after "
        "2 steps",
    ]
    schedule.last_step = 1
    assert schedule.unfired()[0].endswith("never fired; the last step checked was 1")
