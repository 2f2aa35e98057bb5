"""Named prompt templates: rendering, hashing and the manifest registry."""

from __future__ import annotations

import hashlib

import pytest

from simsocial.llm.prompts import (
    CHOOSE_OPTIONS,
    STRUCTURED_REPAIR,
    Template,
    all_templates,
    get_template,
)


def test_render_fills_fields_and_names_missing_ones() -> None:
    """render() substitutes fields; a missing field is a KeyError naming the template."""
    tpl = Template("test.greeting", "Hello {name}, you are {age}.")
    assert tpl.render(name="Ann", age=30) == "Hello Ann, you are 30."
    with pytest.raises(KeyError, match=r"test\.greeting.*age"):
        tpl.render(name="Ann")


def test_sha_is_the_short_hash_of_the_text() -> None:
    """The manifest hash changes exactly when the wording changes."""
    tpl = Template("test.sha", "Answer {x}.")
    assert tpl.sha == hashlib.sha256(b"Answer {x}.").hexdigest()[:12]
    assert Template("test.sha2", "Answer {x}!").sha != tpl.sha


def test_registry_lists_the_gateway_templates() -> None:
    """all_templates() maps every registered name to its hash, including the gateway's own."""
    registry = all_templates()
    assert registry[CHOOSE_OPTIONS.name] == CHOOSE_OPTIONS.sha
    assert registry[STRUCTURED_REPAIR.name] == STRUCTURED_REPAIR.sha
    assert get_template(CHOOSE_OPTIONS.name) is CHOOSE_OPTIONS


def test_a_name_cannot_be_reused_for_other_text() -> None:
    """Two different texts under one name would make the manifest hash ambiguous."""
    Template("test.unique", "one")
    Template("test.unique", "one")
    with pytest.raises(ValueError, match="already registered"):
        Template("test.unique", "two")
