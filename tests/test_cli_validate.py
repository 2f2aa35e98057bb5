"""`simsocial validate` and `schema`: a user's mistake is one line and exit 1, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

cli = pytest.importorskip("simsocial.cli")


def test_validate_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong value gives exit code 1 and one located line on stderr."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: opinion\nnetwork:\n  n: ten\n")
    assert cli.main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert (
        captured.err.strip() == f'error: {path}:4: network.n: must be a positive integer, got "ten"'
    )
    assert "Traceback" not in captured.err + captured.out


def test_validate_bad_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --set is blamed on the option, not on the file."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: opinion\n")
    assert cli.main(["validate", str(path), "--set", "steps=-1"]) == 1
    assert (
        capsys.readouterr().err.strip() == "error: --set steps: must be a positive integer, got -1"
    )


def test_validate_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid file exits 0."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: opinion\n")
    assert cli.main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`simsocial schema` prints a JSON Schema with one alternative per kind."""
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "opinion" in schema["discriminator"]["mapping"]
