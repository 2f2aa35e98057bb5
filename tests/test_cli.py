"""The command line a user types: outcomes, one-line errors, metrics as JSON."""

from __future__ import annotations

import json

from simsocial.cli import main

SCENARIO = """\
name: cli_test
kind: opinion
seed: 2
steps: 3
llm: {{model: "{model}"}}
opinion: {{queries: 20, grid: [-0.6, 0.0, 0.6]}}
outputs: {{dir: {out}}}
"""


def write(tmp_path, model: str):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(model=model, out=tmp_path / "runs"))
    return path


def test_run_then_report_json(tmp_path, capsys):
    """`run` prints where the run went; `report --json` prints its metrics as JSON."""
    run_dir = tmp_path / "r"
    assert (
        main(
            [
                "run",
                str(write(tmp_path, "scripted/majority?beta=3")),
                "--out",
                str(run_dir),
                "--quiet",
            ]
        )
        == 0
    )
    assert (run_dir / "report.html").exists()
    capsys.readouterr()
    assert main(["report", str(run_dir), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["queries"] == 60 and metrics["beta_ci_low"] < 3 < metrics["beta_ci_high"]


def test_unreachable_model_stops_before_anything_is_written(tmp_path, capsys):
    """A model that cannot answer is one line and exit 2 before step 0: no run directory."""
    path = write(tmp_path, "embedded/does-not-exist.gguf")
    assert main(["run", str(path), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown embedded model" in err
    assert not (tmp_path / "r").exists()


def test_resume_of_a_missing_run_is_one_line(tmp_path, capsys):
    """A wrong path is the user's mistake: exit 1 and one line on stderr."""
    assert main(["resume", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "not a run directory" in err and "Traceback" not in err


def test_scenarios_lists_the_opinion_kind(capsys):
    """`simsocial scenarios` names each kind."""
    assert main(["scenarios"]) == 0
    assert "opinion" in capsys.readouterr().out
