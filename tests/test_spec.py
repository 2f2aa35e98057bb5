"""Loading scenario files: defaults, overrides, relative paths, JSON Schema, YAML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simsocial.llm.config import DEFAULT_MODEL
from simsocial.scenarios import KINDS
from simsocial.scenarios.opinion.spec import DEFAULT_GRID, OpinionSpec
from simsocial.spec import (
    SpecError,
    apply_overrides,
    dump_spec,
    json_schema,
    load_scenario,
    parse_scenario,
    spec_for_kind,
)

EXAMPLES = sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml"))

MINIMAL = "name: tiny\nkind: opinion\n"
DYNAMICS = """\
name: ring
kind: opinion
seed: 4
update: random_sequential
network:
  generator: watts_strogatz
  n: 30
  params: {k: 4, p: 0.1}
opinion:
  experiment: dynamics
  initial_m: 0.2
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_minimal_file_gets_the_documented_defaults(tmp_path: Path) -> None:
    """Two keys are enough; everything else takes the defaults the docs promise."""
    spec = load_scenario(write(tmp_path, MINIMAL))
    assert isinstance(spec, OpinionSpec)
    assert (spec.name, spec.seed, spec.steps, spec.update) == ("tiny", 0, 10, "synchronous")
    assert spec.llm.model == DEFAULT_MODEL and spec.llm.temperature == 0.2
    assert spec.network is None and spec.outputs.dir == "runs"
    assert spec.opinion.grid == DEFAULT_GRID and spec.opinion.labels == ("k", "z")


def test_values_in_the_file_are_kept(tmp_path: Path) -> None:
    """Every written key reaches the spec with its type."""
    spec = load_scenario(write(tmp_path, DYNAMICS))
    assert spec.seed == 4 and spec.update == "random_sequential"
    assert spec.network is not None
    assert (spec.network.generator, spec.network.n) == ("watts_strogatz", 30)
    assert spec.network.params == {"k": 4, "p": 0.1}
    assert spec.opinion.experiment == "dynamics" and spec.opinion.initial_m == 0.2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_scenarios_load(path: Path) -> None:
    """Every example file users copy is valid."""
    assert load_scenario(path).name == path.stem


def test_overrides_as_command_line_strings(tmp_path: Path) -> None:
    """--set values are read as YAML: numbers, strings with '=' and '?', lists, new blocks."""
    spec = load_scenario(
        write(tmp_path, MINIMAL),
        [
            "seed=3",
            "llm.model=scripted/majority?beta=3",
            "opinion.grid=[0, 0.5]",
            "llm.budget.calls=100",
            "network.n=12",
        ],
    )
    assert spec.seed == 3
    assert spec.llm.model == "scripted/majority?beta=3"
    assert spec.opinion.grid == [0.0, 0.5]
    assert spec.llm.budget is not None and spec.llm.budget.calls == 100
    assert spec.network is not None and spec.network.n == 12


def test_a_bare_off_turns_the_cache_off(tmp_path: Path) -> None:
    """YAML reads `off` as false; in the file and in --set it still means the documented word."""
    in_file = load_scenario(write(tmp_path, MINIMAL + "llm:\n  cache: off\n"))
    from_set = load_scenario(write(tmp_path, MINIMAL), ["llm.cache=off"])
    assert in_file.llm.cache == from_set.llm.cache == "off"
    with pytest.raises(SpecError, match=r"llm\.cache"):
        load_scenario(write(tmp_path, MINIMAL), ["llm.cache=on"])


def test_overrides_as_dict_and_list_index(tmp_path: Path) -> None:
    """A {path: value} dict sets Python values as given; a numeric segment indexes a list."""
    spec = load_scenario(
        write(tmp_path, MINIMAL + "opinion:\n  grid: [0.1, 0.2]\n"),
        {"opinion.grid.1": 0.9, "description": "42"},
    )
    assert spec.opinion.grid == [0.1, 0.9]
    assert spec.description == "42"


def test_apply_overrides_leaves_the_input_alone() -> None:
    """apply_overrides returns a new dict; the original is not modified."""
    data = {"name": "x", "llm": {"model": "a"}}
    changed = apply_overrides(data, ["llm.model=b", "network.params.p=0.5"])
    assert changed == {"name": "x", "llm": {"model": "b"}, "network": {"params": {"p": 0.5}}}
    assert data == {"name": "x", "llm": {"model": "a"}}


def test_parse_scenario_from_a_dict() -> None:
    """The Python API validates dicts the same way, naming the source in errors."""
    assert parse_scenario({"name": "x", "kind": "opinion", "steps": 3}).steps == 3
    with pytest.raises(SpecError) as info:
        parse_scenario({"name": "x", "kind": "opinion", "steps": 0}, source="sweep[3]")
    assert str(info.value) == "sweep[3]: steps: must be a positive integer, got 0"


def test_edge_list_path_is_relative_to_the_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """network.path resolves next to the scenario file, whatever the working directory."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "edges.txt").write_text("a b\nb c\n")
    path = write(folder, MINIMAL + "network:\n  generator: edge_list\n  path: edges.txt\n")
    monkeypatch.chdir(tmp_path)
    spec = load_scenario(path)
    assert spec.network is not None
    assert spec.network.path == str((folder / "edges.txt").resolve())


def test_spec_for_kind() -> None:
    """Kinds map to their spec class; an unknown kind is a SpecError with a suggestion."""
    assert spec_for_kind("opinion") is OpinionSpec
    with pytest.raises(SpecError, match="did you mean 'opinion'"):
        spec_for_kind("opinoin")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_dump_round_trips(path: Path, tmp_path: Path) -> None:
    """The resolved spec written as YAML loads back to the same spec (with a network given on
    the command line, for the kinds that have one)."""
    try:
        spec = load_scenario(
            path, ["network.generator=lattice", "network.n=6", "network.params.dim=[2, 3]"]
        )
    except SpecError as exc:  # e.g. the feed: who follows whom is its own block
        assert "network: is not used by the" in str(exc)
        spec = load_scenario(path)
    again = load_scenario(write(tmp_path, dump_spec(spec)))
    assert again == spec
    if "\\n" in spec.model_dump_json():  # a multi-line text (a prompt template) stays readable
        assert "|" in dump_spec(spec)


def test_json_schema_lists_every_kind_with_descriptions() -> None:
    """The schema picks the alternative by `kind` and carries the field descriptions."""
    schema = json_schema()
    assert schema["discriminator"]["propertyName"] == "kind"
    assert set(schema["discriminator"]["mapping"]) == set(KINDS)
    opinion = schema["$defs"]["OpinionSpec"]
    assert {"name", "kind"} <= set(opinion["required"])
    assert opinion["properties"]["kind"]["const"] == "opinion"
    assert "Root seed" in opinion["properties"]["seed"]["description"]


def test_json_schema_validates_files() -> None:
    """An editor using the schema accepts the examples and flags a typo and a wrong type."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    for path in EXAMPLES:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    assert list(validator.iter_errors({"name": "x", "kind": "opinion", "netwrk": {}}))
    assert list(validator.iter_errors({"name": "x", "kind": "opinion", "seed": "one"}))
    assert list(validator.iter_errors({"name": "x", "kind": "nope"}))
    assert list(validator.iter_errors({"kind": "opinion"}))
