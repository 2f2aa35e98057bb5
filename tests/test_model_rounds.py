"""Rounds of asks: one gather per round across all decisions, asks prepared in a fixed order,
and a diffusion village with minds that reflect and plan replays byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simsocial import checkpoint
from simsocial.llm import Gateway
from simsocial.rounds import Rounds, advance, drive
from simsocial.scenarios.diffusion.model import DiffusionModel
from simsocial.spec import parse_scenario


def asker(name: str, sizes: list[int], prepared: list[str]) -> Rounds[list[str]]:
    """Yields rounds of `sizes` asks (named and noted when prepared); returns what it heard."""
    heard: list[str] = []
    for r, size in enumerate(sizes):
        asks = []
        for k in range(size):
            prepared.append(f"{name}{r}.{k}")
            asks.append(f"{name}{r}.{k}")
        heard += yield asks
    return heard


def test_every_round_is_one_answer_call_in_agent_then_ask_order() -> None:
    """Three decisions of 2, 3 and 0 rounds: three answer calls (the last with only b's asks),
    asks prepared round by round in agent order, each decision hearing exactly its answers."""
    prepared: list[str] = []
    calls: list[list[str]] = []

    def answer(asks: list[Any]) -> list[Any]:
        calls.append(list(asks))
        return [f"<{a}>" for a in asks]

    results = advance(
        [asker("a", [2, 1], prepared), asker("b", [1, 0, 2], prepared), asker("c", [], prepared)],
        answer,
    )
    assert calls == [["a0.0", "a0.1", "b0.0"], ["a1.0"], ["b2.0", "b2.1"]]
    assert prepared == [a for call in calls for a in call]
    assert results == [["<a0.0>", "<a0.1>", "<a1.0>"], ["<b0.0>", "<b2.0>", "<b2.1>"], []]
    assert drive(asker("d", [1], []), answer) == ["<d0.0>"]


def village(seed: int, tmp_path: Path) -> Any:
    return parse_scenario(
        {
            "name": "rounds_twin",
            "kind": "diffusion",
            "seed": seed,
            "steps": 2,
            "llm": {
                "model": "scripted/gossip?p=0.5&about=mayor",
                "temperature": 1.0,
                "embedding_model": "hash",
            },
            "network": {"generator": "complete", "n": 6},
            "diffusion": {"turns": 2, "rounds_per_day": 2},
            "mind": {"reflection_threshold": 10, "planning": True},
            "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        }
    )


def play(gateway: Gateway, seed: int, tmp_path: Path, run_id: str) -> tuple[bytes, list, list]:
    spec = village(seed, tmp_path)
    events: list[tuple] = []
    session = gateway.session(spec.llm, run_id=run_id, stream=seed)
    model = DiffusionModel(spec, session, lambda *e: events.append(e))
    for day in range(2):
        model.step_index = day
        model.step()
    records = sorted(
        (r.request_hash, r.verb, r.prompt, r.reply, r.step, r.agent_id)
        for r in session.drain_records()
    )
    return checkpoint.dumps(model.get_state()), events, records


def test_a_village_that_reflects_and_plans_replays_byte_for_byte(tmp_path: Path) -> None:
    """Same seed: identical state, event log and call records, with reflections made; the
    asks were prepared in the fixed order whatever the answer order."""
    gateway = Gateway(max_concurrency=8)
    try:
        first = play(gateway, 4, tmp_path, "one")
        second = play(gateway, 4, tmp_path, "two")
    finally:
        gateway.close()
    assert first[0] == second[0] and first[1] == second[1] and first[2] == second[2]
    kinds = {e[2] for e in first[1]}
    assert {"utterance", "interview"} <= kinds
    assert any(verb == "embed" for _, verb, *_ in first[2])
    assert any("salient high-level questions" in prompt for _, _, prompt, *_ in first[2])
