"""The forum's realism check: the real-threads file (located errors, also from `simsocial
validate`), one rendering for real and generated threads, the pairwise ask on scripted twins,
and the bootstrap error rate on data with a known answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from pydantic import Field

from simsocial.scenarios import KINDS, ScenarioKind, register
from simsocial.scenarios.forum.realism import (
    PAIR_THREADS,
    RealismSpec,
    RealThread,
    error_rate,
    guessed,
    is_correct,
    load_real_threads,
    pair_ask,
    thread_text,
)
from simsocial.spec import load_scenario
from simsocial.spec_base import StrictModel
from simsocial.spec_models import ScenarioSpec
from simsocial.userfiles import UserFileError

cli = pytest.importorskip("simsocial.cli")

SYNTHETIC = Path(__file__).parents[2] / "scenarios" / "data" / "synthetic_real_threads.jsonl"
GOOD = {"title": "t", "body": "b", "replies": [{"author": "a", "text": "x"}]}


def prompt_of(answer) -> str:
    return json.loads(answer.record.prompt)[-1]["content"]


def write_threads(folder: Path, broken: str) -> Path:
    """A file whose line 3 is `broken` (line 2 blank, which is skipped)."""
    path = folder / "threads.jsonl"
    path.write_text(f"{json.dumps(GOOD)}\n\n{broken}\n{json.dumps(GOOD)}\n")
    return path


# --- the real-threads file ----------------------------------------------------------------------


def test_the_synthetic_file_loads_and_its_source_key_is_ignored() -> None:
    threads = load_real_threads(SYNTHETIC)
    assert len(threads) == 10
    assert all(t.title and t.replies for t in threads)
    assert all("synthetic" in line for line in SYNTHETIC.read_text().splitlines())
    first = threads[0]
    assert isinstance(first, RealThread) and first.replies[0][0] == "leafmold"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"body": "b", "replies": []}', "field 'title': is missing"),
        ('{"title": " ", "body": "b", "replies": []}', "field 'title': is empty"),
        ('{"title": 3, "body": "b", "replies": []}', "field 'title': must be text, not a number"),
        ('{"title": "t", "body": null, "replies": []}', "field 'body': must be text, not null"),
        ('{"title": "t", "body": "b"}', "field 'replies': is missing"),
        (
            '{"title": "t", "body": "b", "replies": {}}',
            "field 'replies': must be a list of replies, not an object",
        ),
        (
            '{"title": "t", "body": "b", "replies": ["hi"]}',
            "field 'replies[0]': must be an object, not text",
        ),
        (
            '{"title": "t", "body": "b", "replies": [{"text": "x"}]}',
            "field 'replies[0].author': is missing",
        ),
        (
            '{"title": "t", "body": "", "replies": [{"author": "a", "text": "x"}, '
            '{"author": "b", "text": ""}]}',
            "field 'replies[1].text': is empty",
        ),
        ('{"title": "t", "body": "b"', "not valid JSON ("),
        ("[1, 2]", "must be a JSON object, not a list"),
    ],
)
def test_a_broken_line_names_the_file_the_line_and_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_threads(tmp_path, line)
    with pytest.raises(UserFileError) as caught:
        load_real_threads(tmp_path / "threads.jsonl")
    assert str(caught.value).startswith(f"threads.jsonl:3: {message}")


def test_an_empty_or_missing_file_is_a_user_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(UserFileError, match="holds no threads"):
        load_real_threads(empty)
    with pytest.raises(UserFileError, match="file not found"):
        load_real_threads(tmp_path / "nope.jsonl")
    with pytest.raises(UserFileError, match="is a directory"):
        load_real_threads(tmp_path)


# --- `simsocial validate` reads the file (a probe kind with a forum-like nested block) ---------


class ProbeBlock(StrictModel):
    realism: RealismSpec | None = Field(None, description="The check under test.")


class ProbeSpec(ScenarioSpec):
    kind: Literal["realism_probe"] = "realism_probe"
    probe: ProbeBlock = Field(default_factory=ProbeBlock, description="Like forum:.")


@pytest.fixture(scope="module", autouse=True)
def probe_kind() -> Iterator[None]:
    register(
        ScenarioKind(
            name="realism_probe",
            summary="validate reads a nested block's own file",
            spec=f"{__name__}:ProbeSpec",
            model=f"{__name__}:ProbeSpec",
            analysis=__name__,
            trajectory="x",
        )
    )
    yield
    KINDS.pop("realism_probe", None)


def probe_scenario(folder: Path) -> Path:
    path = folder / "probe.yaml"
    path.write_text(
        "name: probe\nkind: realism_probe\nprobe:\n  realism:\n    real: threads.jsonl\n"
    )
    return path


def test_validate_resolves_the_path_against_the_scenario_and_reads_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "threads.jsonl").write_text(SYNTHETIC.read_text())
    spec = load_scenario(probe_scenario(tmp_path))
    real = spec.probe.realism.real  # type: ignore[attr-defined]
    assert isinstance(real, Path) and real == tmp_path / "threads.jsonl"
    assert len(load_real_threads(real)) == 10


def test_validate_reports_a_broken_line_at_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_threads(tmp_path, '{"title": "t", "body": "b", "replies": [{"author": 1}]}')
    assert cli.main(["validate", str(probe_scenario(tmp_path))]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "probe.realism.real" in captured.err and "probe.yaml:5" in captured.err
    assert "threads.jsonl:3: field 'replies[0].author': must be text, not a number" in captured.err


def test_validate_reports_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(probe_scenario(tmp_path))]) == 1
    assert "file not found" in capsys.readouterr().err


# --- one rendering for real and generated threads -----------------------------------------------

REPLIES = [("alice_99", "First  reply\n\nwith lines."), ("bob", "Second."), ("alice_99", "Third.")]


def test_thread_text_is_plain_anonymous_and_in_order() -> None:
    text = thread_text("A  title", "The\nbody.", REPLIES)
    assert text == (
        "Title: A title\nThe body.\nUser 1: First reply with lines.\n"
        "User 2: Second.\nUser 1: Third."
    )
    assert thread_text("T", "", []) == "Title: T"
    named = thread_text("T", "", REPLIES, anonymous=False)
    assert named.splitlines()[1] == "alice_99: First reply with lines."


def test_real_and_generated_threads_render_the_same_way() -> None:
    """User names and persona names look different; rendered, the same words read the same."""
    real = load_real_threads(SYNTHETIC)[2]
    personas = {
        author: f"Persona {i}" for i, author in enumerate(dict.fromkeys(a for a, _ in real.replies))
    }
    generated = [(personas[a], f"  {t}\n") for a, t in real.replies]
    assert thread_text(real.title, real.body, real.replies) == thread_text(
        f" {real.title}", real.body, generated
    )


@pytest.mark.parametrize("budget", [10, 40, 80, 120, 200, 400, 3500])
def test_thread_text_keeps_its_budget_and_the_earliest_replies(budget: int) -> None:
    replies = [(f"u{i % 3}", f"reply number {i} " + "word " * i) for i in range(30)]
    text = thread_text("A title " * 5, "A body " * 20, replies, max_chars=budget)
    assert len(text) <= budget
    numbers = [int(n) for n in re.findall(r"reply number (\d+)", text)]
    assert numbers == list(range(len(numbers)))  # a prefix of the thread, nothing skipped
    assert bool(numbers) == (budget >= 400)


# --- the pairwise judge through a real gateway and session ---------------------------------------


def test_a_fixed_twin_judge_guesses_the_same_thread_whatever_the_option_order(
    make_session,
) -> None:
    session = make_session("scripted/fixed?answer=second")
    rng = np.random.default_rng(1)
    answers = session.gather([pair_ask(session, "one", "two", None, rng) for _ in range(8)])
    assert [guessed(a) for a in answers] == ["second"] * 8
    assert {"a) first" in prompt_of(a) for a in answers} == {True, False}
    assert all(a.record.temperature == 0.0 for a in answers)
    match = PAIR_THREADS.search(prompt_of(answers[0]))
    assert match is not None and match.groups() == ("one", "two")


def test_a_pinned_pair_judge_and_a_failed_answer(make_session) -> None:
    session = make_session("scripted/fixed?answer=first")
    rng = np.random.default_rng(2)
    pinned = "scripted/fixed?answer=neither"
    answers = session.gather(
        [pair_ask(session, "x", "y", pinned, rng), pair_ask(session, "x", "y", None, rng)]
    )
    assert [guessed(a) for a in answers] == [None, "first"]
    assert answers[0].record.model == pinned
    assert is_correct(None, True) is None
    assert is_correct("first", True) and is_correct("second", False)
    assert not is_correct("first", False)


def test_a_judge_that_guesses_uniformly_has_an_error_rate_ci_containing_one_half(
    make_session,
) -> None:
    """The twin with a known answer: real vs generated pairs, real side by a coin, a random
    judge. Its error rate's 95% CI must contain 0.5 (seeded, so the outcome is fixed)."""
    session = make_session("scripted/random")
    rng = np.random.default_rng(11)
    real = [thread_text(t.title, t.body, t.replies) for t in load_real_threads(SYNTHETIC)]
    asks, real_first = [], []
    for i in range(300):
        fake = thread_text(f"Generated thread {i}", "A body.", [("Ana", "Hi."), ("Ben", "Hello.")])
        first = bool(rng.random() < 0.5)
        pair = (real[i % len(real)], fake) if first else (fake, real[i % len(real)])
        asks.append(pair_ask(session, *pair, None, rng))
        real_first.append(first)
    answers = session.gather(asks)
    correct = [is_correct(guessed(a), f) for a, f in zip(answers, real_first, strict=True)]
    assert None not in correct
    result = error_rate([bool(c) for c in correct], seed=0)
    assert result["n"] == 300
    assert result["ci_low"] <= 0.5 <= result["ci_high"]
    assert 0.4 < result["error_rate"] < 0.6


# --- the error rate -------------------------------------------------------------------------------


def test_thirty_wrong_of_a_hundred_is_an_error_rate_of_030_with_a_ci_around_it() -> None:
    correct = [False] * 30 + [True] * 70
    result = error_rate(correct, seed=5)
    assert result["error_rate"] == pytest.approx(0.30) and result["n"] == 100
    assert 0.19 < result["ci_low"] < 0.30 < result["ci_high"] < 0.41
    assert error_rate(correct, seed=5) == result  # seeded: the same interval every time


def test_small_and_degenerate_samples_are_reported_honestly() -> None:
    assert error_rate([], seed=0) == {"error_rate": None, "ci_low": None, "ci_high": None, "n": 0}
    assert error_rate([False], seed=0) == {
        "error_rate": 1.0,
        "ci_low": None,
        "ci_high": None,
        "n": 1,
    }
    assert error_rate([True] * 12, seed=0) == {
        "error_rate": 0.0,
        "ci_low": 0.0,
        "ci_high": 0.0,
        "n": 12,
    }


def test_realism_spec_defaults_and_descriptions() -> None:
    spec = RealismSpec(real=Path("x.jsonl"))
    assert (spec.pairs, spec.model) == (20, None)
    assert all(field.description for field in RealismSpec.model_fields.values())
    for bad in ({"pairs": 0}, {"model": "offline"}, {"model": " "}, {"pair": 3}):
        with pytest.raises(ValueError):
            RealismSpec.model_validate({"real": "x.jsonl", **bad})


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path: Path) -> None:
    """JSON may carry a raw U+2028 in a string; the loader's lines are the file's \\n lines."""
    thread = {"title": "t\u2028u", "body": "b", "replies": [{"author": "a", "text": "x\u2029y"}]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(thread, ensure_ascii=False) + "\n", encoding="utf-8")
    (loaded,) = load_real_threads(path)
    assert loaded.title == "t\u2028u" and loaded.replies == [("a", "x\u2029y")]
