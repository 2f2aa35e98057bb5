"""Personas: YAML and CSV loading with located errors, LLM expansion without duplicate names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from simsocial.personas import Persona, PersonaBatch, PersonaError, expand, load

ROOT = Path(__file__).resolve().parents[1]


class Port:
    """Structured answers from `reply`; the only LLM call personas make."""

    def __init__(self, reply: Callable[[str, type[BaseModel]], Any]) -> None:
        self.reply = reply

    def structured_many(self, prompts: list[str], schema: type[BaseModel]) -> list[Any]:
        return [self.reply(p, schema) for p in prompts]


def test_example_files_load() -> None:
    """The shipped examples load: 5 YAML personas (one pinned model) and 3 CSV ones."""
    village = load(ROOT / "personas" / "villagers.yaml")
    assert [p.name for p in village][:2] == ["Isabella Rodriguez", "Sam Moore"]
    assert village[4].model is None and village[0].demographics["age"] == 34
    csv_people = load(ROOT / "personas" / "villagers.csv")
    assert csv_people[1].traits == ["chatty", "punctual"]
    assert csv_people[2].model == "scripted/random" and csv_people[0].model is None
    assert csv_people[0].demographics == {"age": 45, "occupation": "nurse"}
    assert "Traits: calm, caring." in csv_people[0].render()


def test_yaml_bad_row_names_its_line(tmp_path: Path) -> None:
    """A persona with an unknown key on line 3 is reported as file:3 with the key."""
    f = tmp_path / "p.yaml"
    f.write_text("- name: A\n  traits: [x]\n- name: B\n  hobby: golf\n")
    with pytest.raises(PersonaError, match=r"p\.yaml:3: hobby: Extra inputs"):
        load(f)
    f.write_text("personas:\n  - name: A\n  - name: a\n")
    with pytest.raises(PersonaError, match=r"p\.yaml:3: duplicate name 'a' \(first on line 2\)"):
        load(f)


def test_csv_bad_row_names_its_line(tmp_path: Path) -> None:
    """An empty name on the third line and an extra cell are located."""
    f = tmp_path / "p.csv"
    f.write_text("name,description\nA,fine\n,no name\n")
    with pytest.raises(PersonaError, match=r"p\.csv:3: name: String should have at least 1"):
        load(f)
    f.write_text("name,description\nA,fine,extra\n")
    with pytest.raises(PersonaError, match=r"p\.csv:2: more cells"):
        load(f)
    f.write_text("who,description\n")
    with pytest.raises(PersonaError, match="'name' column"):
        load(f)


def test_expand_rejects_duplicate_names() -> None:
    """Replies repeat a seed name and each other; only new unique names are kept."""
    replies = iter(
        [
            ["Ann", "Bo", "bo "],  # Ann is a seed, 'bo ' repeats Bo
            ["Cy", "Bo"],
        ]
    )

    def reply(prompt: str, schema: type[BaseModel]) -> Any:
        names = next(replies)
        return PersonaBatch(
            personas=[Persona(name=n, traits=["kind", n.strip().lower()]) for n in names]
        )

    seeds = [Persona(name="Ann", traits=["kind"])]
    new, report = expand(seeds, n=2, llm=Port(reply), per_call=3)
    assert [p.name for p in new] == ["Bo", "Cy"]
    assert report.rejected_duplicates == ["Ann", "bo "] and report.calls == 2
    assert report.trait_counts == {"kind": 2, "bo": 1, "cy": 1}
    assert report.distinct_traits == 3 and report.top_trait_share == 1.0


def test_expand_stops_after_max_calls() -> None:
    """A model that only repeats seed names gives nothing after max_calls calls."""
    port = Port(lambda p, s: PersonaBatch(personas=[Persona(name="Ann")]))
    new, report = expand([Persona(name="Ann")], n=3, llm=port, max_calls=4)
    assert new == [] and report.calls == 4 and len(report.rejected_duplicates) == 4
