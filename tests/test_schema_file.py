"""The committed scenario.schema.json (editors load it) matches what `simsocial schema` prints."""

from __future__ import annotations

import json
from pathlib import Path

from simsocial.spec import json_schema

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current():
    """Regenerate with `simsocial schema > scenario.schema.json` when the spec models change."""
    committed = json.loads((ROOT / "scenario.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema()))


def test_example_scenarios_point_editors_at_it():
    """The demo scenario's modeline names the schema file that exists."""
    first = (ROOT / "scenarios" / "opinion_dynamics.yaml").read_text().splitlines()[0]
    assert "$schema=../scenario.schema.json" in first
