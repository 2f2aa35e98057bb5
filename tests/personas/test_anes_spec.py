"""The persona source block at `simsocial validate`: a wrong path, a CSV missing required columns
and impossible samples are located lines; `draw` gives the personas and how they were drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anes_probe_kind
import pytest
from anes_rows import HEADER, ROWS, write_anes

from simsocial.personas.anes_spec import PersonaSourceSpec
from simsocial.scenarios import KINDS, ScenarioKind, register
from simsocial.spec import load_scenario

cli = pytest.importorskip("simsocial.cli")
DATA = Path(__file__).resolve().parents[1] / "data" / "anes_synthetic.csv"


@pytest.fixture(scope="module", autouse=True)
def probe_kind() -> Iterator[ScenarioKind]:
    module = anes_probe_kind.__name__
    kind = register(
        ScenarioKind(
            name="anes_probe",
            summary="Test-only: a block embedding the survey persona source",
            spec=f"{module}:ProbeSpec",
            model=f"{module}:ProbeSpec",
            analysis=module,
            trajectory="step",
        )
    )
    yield kind
    KINDS.pop("anes_probe", None)


def scenario(folder: Path, personas: str) -> Path:
    path = folder / "x.yaml"
    path.write_text(f"name: x\nkind: anes_probe\nprobe:\n  personas: {personas}\n")
    return path


def errors(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The located lines `simsocial validate` prints (exit 1, no traceback)."""
    assert cli.main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    return lines[1:] if lines[0] == "error:" else [lines[0].removeprefix("error: ")]


def test_a_good_block_validates_and_draws(tmp_path: Path, capsys) -> None:
    """The path resolves against the scenario file; draw() uses the scenario's seed."""
    write_anes(tmp_path / "anes.csv", ROWS)
    path = scenario(tmp_path, "{anes: anes.csv, n: 4}")
    assert cli.main(["validate", str(path)]) == 0
    spec = load_scenario(path)
    source = spec.probe.personas
    assert source.anes == str(tmp_path / "anes.csv") and source.weighted is True
    drawn = source.draw(spec.seed)
    assert len(drawn.personas) == 4 and drawn.how["seed"] == spec.seed
    assert drawn.how["weighted"] is True and drawn.how["file"].endswith("anes.csv")
    synthetic = PersonaSourceSpec(synthetic_anes={"n": 3}, seed=9).draw(1)
    assert synthetic.how["seed"] == 9 and synthetic.how["source"].startswith("synthetic")


def test_wrong_path_is_located(tmp_path: Path, capsys) -> None:
    path = scenario(tmp_path, "{anes: missing.csv, n: 4}")
    (line,) = errors(path, capsys)
    assert line == (
        f'{path}:4: probe.personas.anes: file not found: "missing.csv" ({tmp_path}/missing.csv)'
    )


def test_missing_columns_are_located(tmp_path: Path, capsys) -> None:
    """The spec's line, then the file's own line 1 and the columns it lacks."""
    short = [c for c in HEADER if c not in ("V201231x", "V200010b")]
    write_anes(tmp_path / "anes.csv", ROWS, header=short)
    path = scenario(tmp_path, "{anes: anes.csv, n: 4}")
    (line,) = errors(path, capsys)
    assert line == (
        f"{path}:4: probe.personas.anes: {tmp_path / 'anes.csv'}:1: missing required columns: "
        "V200010b (weight), V201231x (party_id)"
    )


def test_bad_cell_and_impossible_sample_are_located(tmp_path: Path, capsys) -> None:
    write_anes(tmp_path / "anes.csv", [*ROWS, ROWS[0] | {"V200001": 1, "V201507x": "old"}])
    path = scenario(tmp_path, "{anes: anes.csv, n: 4}")
    (line,) = errors(path, capsys)
    assert line.endswith("anes.csv:14: V201507x (age) is 'old', not a number")
    write_anes(tmp_path / "anes.csv", ROWS)
    path = scenario(tmp_path, "{anes: anes.csv, n: 11, replace: false}")
    (line,) = errors(path, capsys)
    assert line == f"{path}:4: probe.personas.n: is 11 but only 10 respondents are eligible"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("{n: 4}", "give exactly one of 'anes' (a file) and 'synthetic_anes'"),
        ("{anes: anes.csv}", "probe.personas.n: is required with 'anes'"),
        ("{synthetic_anes: {n: 5}, weighted: false}",
         "probe.personas.weighted: belongs to 'anes'; synthetic_anes has its own n"),
        ("{synthetic_anes: {n: 0}}", "probe.personas.synthetic_anes.n:"),
        ("{synthetic_anes: {n: 5}, colour: red}", "probe.personas.colour"),
    ],
)  # fmt: skip
def test_block_mistakes_are_located(tmp_path: Path, capsys, block: str, message: str) -> None:
    write_anes(tmp_path / "anes.csv", ROWS)
    path = scenario(tmp_path, block)
    (line,) = errors(path, capsys)
    assert line.startswith(f"{path}:4: ") and message in line
