"""Forum personas: "Name, one-liner" lines, seed files with located errors, bounded expansion."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from simsocial.errors import SimsocialError
from simsocial.rounds import drive
from simsocial.scenarios.forum.personas import (
    Persona,
    expand,
    parse_injected,
    parse_line,
    read_seeds,
)
from simsocial.spec import load_scenario
from simsocial.userfiles import UserFileError


@dataclass
class Reply:
    text: str | None
    record: object = field(default_factory=lambda: type("R", (), {"error": "boom"})())

    @property
    def ok(self) -> bool:
        return self.text is not None


def test_lines_are_parsed_or_rejected_with_a_reason():
    assert parse_line("12. Ada Byron, a poet, and a mathematician") == (
        Persona("Ada Byron", "a poet, and a mathematician"),
        "",
    )
    assert parse_line("- Alan Kay, inventor")[0] == Persona("Alan Kay", "inventor")
    for line, reason in [
        ("no comma here", "no comma"),
        (", a description", "empty name"),
        ("Ada Byron,", "empty description"),
        ("The name of this member is Ada, a poet", "at most 4 words"),
        ("42, a number", "starting with a letter"),
    ]:
        persona, why = parse_line(line)
        assert persona is None and reason in why, (line, why)
    assert parse_injected("[Troll] shares trolling comments.") == Persona(
        "Troll", "shares trolling comments."
    )
    with pytest.raises(ValueError, match=r"\[Name\]"):
        parse_injected("nobody at all")


def test_seed_files_give_their_file_and_line(tmp_path: Path):
    text = tmp_path / "seeds.txt"
    text.write_text("# members\nAda Byron, a poet\n\nAlan Kay, an inventor\nada byron, again\n")
    with pytest.raises(UserFileError, match=r"seeds.txt:5: repeats the name 'ada byron'"):
        read_seeds(text)
    text.write_text("Ada Byron, a poet\nno comma\n")
    with pytest.raises(UserFileError, match=r"seeds.txt:2: malformed"):
        read_seeds(text)
    csv = tmp_path / "seeds.csv"
    csv.write_text("name,description\nAda Byron,a poet\n,\n")
    with pytest.raises(UserFileError, match=r"seeds.csv:3: malformed"):
        read_seeds(csv)
    with pytest.raises(ValueError, match=r"seeds.1: repeats the name"):
        read_seeds(["Ada Byron, a poet", "Ada Byron, a mathematician"])


def test_a_bad_seed_in_a_scenario_file_is_located_at_its_line(tmp_path: Path):
    path = tmp_path / "forum.yaml"
    path.write_text(
        "name: f\nkind: forum\nforum:\n  seeds:\n    - Ada Byron, a poet\n    - no comma here\n"
        "feed: {ranker: hott}\n"
    )
    with pytest.raises(SimsocialError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "forum.yaml:6: forum.seeds.1: malformed" in message
    assert "forum.yaml:7: feed.ranker: unknown ranker 'hott'" in message


def test_expansion_rejects_and_asks_again_within_its_rounds():
    seeds = [Persona("Ada Byron", "a poet")]
    replies = iter(
        [
            ["Ada Byron, again\nAlan Kay, an inventor\nrubbish"],  # round 1: one of three
            ["Alan Kay, a copy\nGrace Hopper, an admiral"],  # round 2: one of two
        ]
    )
    asked: list[int] = []

    def ask(people: list[Persona], k: int) -> int:
        asked.append(k)
        return k

    def answer(asks: list[int]) -> list[Reply]:
        return [Reply(text) for text in next(replies)]

    found = drive(expand(seeds, 3, ask, batch=5, rounds=2), answer)
    assert [p.name for p in found.people] == ["Ada Byron", "Alan Kay", "Grace Hopper"]
    assert asked == [2, 1] and found.rounds == 2 and found.attempts == 5
    assert [r["reason"].split(":")[0] for r in found.rejected] == [
        "duplicate",
        "malformed",
        "duplicate",
    ]
    assert found.payload(1, 3)["short"] == 0


def test_a_shortfall_after_the_last_round_is_recorded():
    def answer(asks: list[int]) -> list[Reply]:
        return [Reply(None) for _ in asks]

    found = drive(expand([Persona("Ada Byron", "a poet")], 4, lambda p, k: k, 2, 3), answer)
    payload = found.payload(1, 4)
    assert payload["short"] == 3 and payload["rounds"] == 3 and payload["asks"] == 6
    assert all(r["line"] is None and "boom" in r["reason"] for r in payload["rejected"])
