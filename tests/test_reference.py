"""docs/reference.md is generated from the spec models: current, and every key means something."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from simsocial.reference import field_rows, missing_descriptions, render
from simsocial.scenarios import KINDS

ROOT = Path(__file__).resolve().parents[1]


def test_committed_reference_is_current():
    """Regenerate with `python -m simsocial.reference > docs/reference.md` when the code changes."""
    assert (ROOT / "docs" / "reference.md").read_text() == render()


def test_every_spec_field_has_a_description():
    """Every key of every kind and intervention has a meaning to show in the reference."""
    assert missing_descriptions() == []


def test_an_undescribed_field_is_caught():
    """The check sees a field without a description (and accepts a nested model's docstring)."""

    class Inner(BaseModel):
        """What the inner block holds."""

        x: int = Field(1, description="an x")

    class Outer(BaseModel):
        inner: Inner = Field(default_factory=Inner)
        bare: int = 0

    rows = {key: says for key, _, _, says in field_rows(Outer)}
    assert rows == {"inner": "What the inner block holds.", "inner.x": "an x", "bare": ""}


def test_reference_lists_every_kind_generator_and_sweep_outcome():
    """Each kind has its section; each outcome a sweep compares by default has a glossary line."""
    from simsocial.networks import PARAMETERS

    text = render()
    for name, kind in KINDS.items():
        assert f"## Kind: {name}" in text
        glossary = kind.load("analysis").GLOSSARY
        assert set(getattr(kind, "outcomes", ())) <= set(glossary), name
    for generator in PARAMETERS:
        assert f"| `{generator}` |" in text
    assert "| `network.params` |" in text and "| `block` | 0 or 1 |" in text
