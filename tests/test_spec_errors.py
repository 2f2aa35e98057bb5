"""Broken scenario files: every mistake is a SpecError naming file, line and key, never a crash."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, model_validator

import simsocial.spec
from simsocial.scenarios import KINDS, ScenarioKind
from simsocial.spec import SpecError, load_scenario, parse_scenario
from simsocial.spec_models import ScenarioSpec, StrictModel

GOOD = """\
name: demo
kind: opinion
seed: 2
steps: 5
llm:
  model: scripted/majority?beta=3
  temperature: 0.2
network:
  generator: erdos_renyi
  n: 20
  params:
    p: 0.3
opinion:
  experiment: dynamics
  grid: [-0.5, 0.0, 0.5]
"""

# (case id, file text, overrides, the first line of the error with {f} for the file name)
BROKEN: list[tuple[str, str, list[str], str]] = [
    ("wrong type", GOOD.replace("n: 20", "n: ten"), [],
     '{f}:10: network.n: must be a positive integer, got "ten"'),
    ("typo at root", GOOD.replace("network:", "netwrk:"), [],
     "{f}:8: netwrk: unknown key 'netwrk' (did you mean 'network'?)"),
    ("typo in llm", GOOD.replace("  temperature", "  temprature"), [],
     "{f}:7: llm.temprature: unknown key 'temprature' (did you mean 'temperature'?)"),
    ("typo in opinion", GOOD.replace("  grid", "  gird"), [],
     "{f}:15: opinion.gird: unknown key 'gird' (did you mean 'grid'?)"),
    ("unknown key, no match", GOOD + "outputs:\n  colour: red\n", [],
     "{f}:17: outputs.colour: unknown key 'colour' (expected one of: dir, flush_every, "
     "snapshot_every, report, keep_checkpoints)"),
    ("bad enum", GOOD.replace("steps: 5", "steps: 5\nupdate: sometimes"), [],
     "{f}:5: update: must be one of 'synchronous', 'random_sequential', got \"sometimes\""),
    ("bad enum nested", GOOD.replace("dynamics", "dynamic"), [],
     "{f}:14: opinion.experiment: must be one of 'adoption', 'dynamics', got \"dynamic\""),
    ("negative seed", GOOD.replace("seed: 2", "seed: -2"), [],
     "{f}:3: seed: must be an integer >= 0, got -2"),
    ("zero steps", GOOD.replace("steps: 5", "steps: 0"), [],
     "{f}:4: steps: must be a positive integer, got 0"),
    ("fractional steps", GOOD.replace("steps: 5", "steps: 2.5"), [],
     "{f}:4: steps: must be a positive integer, got 2.5"),
    ("temperature range", GOOD.replace("0.2", "3"), [],
     "{f}:7: llm.temperature: must be a number between 0 and 2, got 3"),
    ("list item", GOOD.replace("0.0, 0.5]", "0.0, high]"), [],
     '{f}:15: opinion.grid.2: must be a number, got "high"'),
    ("validator message", GOOD.replace("0.0, 0.5]", "0.0, 2]"), [],
     "{f}:15: opinion.grid: must be a non-empty list of values in [-1, 1], got [2.0]"),
    ("string for block", GOOD.replace("llm:\n  model: scripted/majority?beta=3\n  temperature: 0.2",
                                      "llm: gpt-4"), [],
     '{f}:5: llm: must be a mapping (keys: model, api_base, endpoints, api_key_env, '
     'temperature, max_tokens, ...), got "gpt-4"'),
    ("missing generator param", GOOD.replace("    p: 0.3", "    m: 2").replace("erdos", "bad"), [],
     "{f}:9: network.generator: must be one of 'complete', 'erdos_renyi', 'barabasi_albert', "
     "'watts_strogatz', 'lattice', 'stochastic_block', 'edge_list', got \"bad_renyi\""),
    ("required param", GOOD.replace("erdos_renyi", "barabasi_albert"), [],
     "{f}:11: network.params.m: is required for barabasi_albert (edges each new node brings)\n"
     "{f}:12: network.params.p: unknown parameter 'p' for barabasi_albert "
     "(barabasi_albert takes m)"),
    ("bad probability", GOOD.replace("p: 0.3", "p: 1.3"), [],
     "{f}:12: network.params.p: must be a probability in [0, 1], got 1.3"),
    ("missing name", GOOD.replace("name: demo\n", ""), [], "{f}:1: name: is required"),
    ("missing kind", GOOD.replace("kind: opinion\n", ""), [],
     "{f}:1: kind: is required (one of 'opinion', 'growth', 'diffusion', 'forum', 'survey', "
     "'feed', 'media')"),
    ("unknown kind", GOOD.replace("kind: opinion", "kind: opinon"), [],
     "{f}:2: kind: unknown kind \"opinon\" (did you mean 'opinion'?); known kinds: 'opinion'"),
    ("empty name", GOOD.replace("name: demo", "name: ''"), [],
     '{f}:1: name: must be non-empty text, got ""'),
    ("duplicate key", GOOD + "seed: 3\n", [],
     "{f}:16: seed: duplicate key 'seed' (first at line 3)"),
    ("needs a network", GOOD.replace("network:\n  generator: erdos_renyi\n  n: 20\n  params:\n"
                                     "    p: 0.3\n", ""), [],
     "{f}:1: opinion.experiment 'dynamics' needs a `network:` block with `n`"),
    ("missing edge file", GOOD.replace("erdos_renyi\n  n: 20\n  params:\n    p: 0.3",
                                       "edge_list\n  path: nowhere.txt"), [],
     '{f}:10: network.path: file not found: "nowhere.txt"'),
    ("yaml syntax", GOOD.replace("[-0.5, 0.0, 0.5]", "[-0.5, 0.0, 0.5"), [],
     "{f}:16: YAML syntax error: "),
    ("yaml bad indent", GOOD.replace("  temperature", " temperature"), [],
     "{f}:7: YAML syntax error:"),
    ("tab", GOOD.replace("  n: 20", "\tn: 20"), [],
     "{f}:10: YAML syntax error: a tab character; YAML indents with spaces only"),
    ("list root", "- name: demo\n- kind: opinion\n", [],
     "{f}:1: a scenario must be a mapping (name: ..., kind: ...), got a list"),
    ("scalar root", "just some text\n", [],
     '{f}:1: a scenario must be a mapping (name: ..., kind: ...), got "just some text"'),
    ("empty file", "", [],
     "{f}: the file is empty; a scenario needs at least `name:` and `kind:`"),
    ("comments only", "# nothing yet\n", [], "{f}: the file is empty;"),
    ("two documents", GOOD + "---\nname: other\n", [],
     "{f}:16: YAML syntax error: expected a single document in the stream, but found another"),
    ("non-text key", GOOD + "1: one\n", [], "{f}:16: 1: keys must be text, got 1"),
    ("control character", GOOD.replace("demo", "de\x07mo"), [],
     "{f}:1: character #x0007 is not allowed in YAML"),
    ("bad --set value", GOOD, ["network.n=ten"],
     '--set network.n: must be a positive integer, got "ten"'),
    ("bad --set key", GOOD, ["netwrk.n=3"],
     "--set netwrk: unknown key 'netwrk' (did you mean 'network'?)"),
    ("--set without =", GOOD, ["seed"], "--set seed: expected PATH=VALUE"),
    ("--set bad yaml", GOOD, ["opinion.grid=[0, 1"],
     '--set opinion.grid: value "[0, 1" is not valid YAML'),
    ("--set into a number", GOOD, ["seed.value=1"],
     "--set seed.value: cannot set 'value' inside seed, which is 2"),
    ("--set empty segment", GOOD, ["llm..model=x"], "--set llm..model: must be a dotted key path"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "overrides", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_broken_file_names_file_line_and_key(
    tmp_path: Path, text: str, overrides: list[str], expected: str
) -> None:
    """Each broken file gives a SpecError whose first line is exactly located and plain."""
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert message.startswith(expected.format(f=path)), message
    assert "pydantic" not in message and "Input should" not in message


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    """A file with three mistakes lists all three, in line order."""
    path = tmp_path / "three.yaml"
    path.write_text(GOOD.replace("seed: 2", "seed: -1").replace("n: 20", "n: 0") + "extra: 1\n")
    with pytest.raises(SpecError) as info:
        load_scenario(path)
    assert [(p.line, p.path) for p in info.value.problems] == [
        (3, "seed"),
        (10, "network.n"),
        (16, "extra"),
    ]


def test_path_is_shown_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from the project root, the error says scenarios/x.yaml, not an absolute path."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.yaml").write_text(GOOD.replace("n: 20", "n: ten"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        load_scenario(tmp_path / "scenarios" / "x.yaml")
    assert (
        str(info.value) == 'scenarios/x.yaml:10: network.n: must be a positive integer, got "ten"'
    )


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """A path that is not a readable file is a SpecError too."""
    with pytest.raises(SpecError, match=r"nope\.yaml: file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_scenario(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    """Latin-1 bytes are reported with their line."""
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: demo\nkind: opinion\ndescription: caf\xe9\n")
    with pytest.raises(SpecError, match=r"latin.yaml:3: not UTF-8 text \(byte 0xe9\)"):
        load_scenario(path)


class _Block(StrictModel):
    low: int = 0
    high: int = 1

    @model_validator(mode="after")
    def _ordered(self) -> _Block:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class _ToySpec(ScenarioSpec):
    """A scenario kind with a sub-block validator and a union-typed key."""

    kind: Literal["toy"] = "toy"
    block: _Block = Field(default_factory=_Block)
    size: int | list[int] = 1


def test_future_kinds_get_located_plain_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new kind's block validator is located at its block; a union reads 'X or Y'."""
    monkeypatch.setitem(KINDS, "toy", ScenarioKind("toy", "a toy", "-", "-", "-", "-"))
    original = simsocial.spec.spec_for_kind
    monkeypatch.setattr(
        simsocial.spec, "spec_for_kind", lambda k: _ToySpec if k == "toy" else original(k)
    )
    path = tmp_path / "toy.yaml"
    path.write_text("name: t\nkind: toy\nblock:\n  low: 5\n  high: 1\nsize: abc\n")
    with pytest.raises(SpecError) as info:
        load_scenario(path)
    assert str(info.value).splitlines() == [
        f"{path}:3: block: low must not exceed high",
        f'{path}:6: size: must be an integer or a list of integers, got "abc"',
    ]


# --- generated mutations of a valid file ---------------------------------------------------

BASE: dict[str, Any] = yaml.safe_load(GOOD) | {
    "description": "a valid scenario",
    "outputs": {"dir": "runs", "flush_every": 2, "report": True},
}
BASE["llm"] |= {"rate_limit": {"rpm": 60}, "budget": {"calls": 100}, "retries": 2}
BASE["opinion"] |= {"labels": ["k", "z"], "name_length": [2, 3], "queries": 10}
MARK = "zzmark"
WRONG_VALUES = [-987654, {MARK: [1]}, [MARK, {"a": 1}], [-987654]]


class _Flow(list):
    """A wrong value, written on one line so its line is unambiguous."""


class _FlowDict(dict):
    """A wrong mapping value, written on one line."""


class _Dumper(yaml.SafeDumper):
    """Block mappings, one-line scalar lists, wrong values on one line."""


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, True))
_Dumper.add_representer(
    _FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, True)
)
_Dumper.add_representer(
    list,
    lambda d, v: d.represent_sequence(
        "tag:yaml.org,2002:seq", v, all(not isinstance(i, list | dict) for i in v)
    ),
)


def _leaves(data: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path to a value (not under network.params, which takes any mapping)."""
    found = [at] if at else []
    if at == ("network", "params"):
        return found
    if isinstance(data, dict):
        for key, value in data.items():
            found += _leaves(value, (*at, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _leaves(value, (*at, str(i)))
    return found


def _mappings(data: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [at] if isinstance(data, dict) else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _mappings(value, (*at, key))
    return found


def _set(data: dict[str, Any], at: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(data))  # a deep copy
    target: Any = data
    for key in at[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(at[-1])] = value
    else:
        target[at[-1]] = value
    return data


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _FlowDict(value)
    return _Flow(value) if isinstance(value, list) else value


def _load_text(folder: Path, text: str, overrides: Any = None) -> tuple[Path, Any]:
    path = folder / "mutant.yaml"
    path.write_text(text)
    try:
        return path, load_scenario(path, overrides)
    except SpecError as exc:
        return path, exc


def _marker_line(text: str, marker: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(lines) == 1
    return lines[0]


MUTATION = settings(max_examples=100, deadline=None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all generated files (a fresh folder per example would dominate the time)."""
    return tmp_path_factory.mktemp("mutants")


@MUTATION
@given(at=st.sampled_from(_leaves(BASE)), wrong=st.sampled_from(WRONG_VALUES))
def test_wrong_value_anywhere_is_located(workdir: Path, at: tuple[str, ...], wrong: Any) -> None:
    """A wrong value at any key is reported at that key's line, under that key's path."""
    text = yaml.dump(_set(BASE, at, _wrap(wrong)), Dumper=_Dumper, sort_keys=False, width=10**6)
    marker = MARK if MARK in text else "-987654"
    path, result = _load_text(workdir, text)
    assert isinstance(result, SpecError), f"{'.'.join(at)} = {wrong!r} was accepted"
    dotted = ".".join(at)
    near = [
        p for p in result.problems if p.path == dotted or p.path.startswith(dotted + ".")
        or dotted.startswith(p.path + ".")
    ]  # fmt: skip
    assert near, str(result)
    assert all(p.line == _marker_line(text, marker) for p in near), str(result)
    assert all(str(p).startswith(f"{path}:{p.line}: {p.path}: ") for p in near)


@MUTATION
@given(
    at=st.sampled_from(_mappings(BASE)),
    key=st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).map("zz".__add__),
)
def test_unknown_key_at_every_level(workdir: Path, at: tuple[str, ...], key: str) -> None:
    """An unknown key at any level is named with its line, whatever its spelling."""
    data = _set(BASE, (*at, key), 1) if at else BASE | {key: 1}
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=10**6)
    _, result = _load_text(workdir, text)
    assert isinstance(result, SpecError)
    dotted = ".".join((*at, key))
    [problem] = [p for p in result.problems if p.path == dotted]
    assert problem.line == _marker_line(text, f"{key}:")
    assert f"unknown {'parameter' if at == ('network', 'params') else 'key'} '{key}'" in str(
        problem
    )


EDITS = st.sampled_from(
    [":", "\t", "[", "]", "{", "-", "'", '"', "#", "&a ", "*a", "!", "%", "@", "\x00", "\n", "? "]
)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_text_corruption_never_crashes(workdir: Path, data: Any) -> None:
    """Random edits to a valid file either still load or give a SpecError, never another error."""
    text = GOOD
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + data.draw(EDITS) + text[at + cut :]
    path, result = _load_text(workdir, text)
    if isinstance(result, SpecError):
        assert result.problems and all(str(p).startswith(str(path)) for p in result.problems)


@settings(max_examples=100, deadline=None)
@given(overrides=st.lists(st.text(max_size=20), max_size=3))
def test_random_overrides_never_crash(workdir: Path, overrides: list[str]) -> None:
    """Any --set strings give a spec or a SpecError naming --set, never another error."""
    _, result = _load_text(workdir, GOOD, overrides)
    if isinstance(result, SpecError):
        assert all(p.override or p.file for p in result.problems)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    extra=st.dictionaries(
        st.sampled_from(["seed", "steps", "llm", "network", "opinion", "outputs", "update", "x"]),
        JSONISH,
        max_size=4,
    )
)
def test_random_values_in_dicts_never_crash(extra: dict[str, Any]) -> None:
    """parse_scenario on arbitrary values gives a spec or a SpecError, never another error."""
    try:
        parse_scenario({"name": "x", "kind": "opinion"} | extra)
    except SpecError as exc:
        assert all(str(p).startswith("<dict>") for p in exc.problems)
