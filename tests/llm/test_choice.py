"""choose() reply normalisation and label probabilities (pure functions, known answers)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simsocial.llm.choice import (
    make_labels,
    parse_label,
    probabilities_from_logprobs,
    sample_index,
)

LETTERS = ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "reply",
    ["b", "b)", "(B)", '"b"', "[b]", "B.", "Answer: b", "I choose [b] because it is best", " b \n"],
)
def test_common_reply_shapes_name_the_same_label(reply: str) -> None:
    """Every usual way of writing option b maps to b."""
    assert parse_label(reply, LETTERS) == "b"


def test_bracketed_token_wins_over_earlier_bare_token() -> None:
    """'I choose [k] because z is weak' picks k, the bracketed answer."""
    assert parse_label("I choose [k] because z is weak", ["k", "z"]) == "k"


def test_non_label_brackets_fall_through_to_tokens() -> None:
    """A bracket holding no label does not hide a later bare label."""
    assert parse_label("(I think) the answer is c.", LETTERS) == "c"


def test_unparseable_reply_is_none() -> None:
    """A reply that names no label parses to None, so the gateway can record a failure."""
    assert parse_label("I cannot decide between these.", ["k", "z"]) is None
    assert parse_label("", ["k", "z"]) is None


def test_multi_character_labels() -> None:
    """Opinion tokens and names work as labels too."""
    assert parse_label("My opinion: [zq].", ["kx", "zq"]) == "zq"
    assert parse_label("Alice", ["Alice", "Bob"]) == "Alice"


@given(
    label=st.sampled_from(LETTERS),
    wrap=st.sampled_from(["{}", "{})", "({})", "[{}]", '"{}"', "{}.", "'{}'", "**{}**"]),
    upper=st.booleans(),
    prefix=st.sampled_from(["", "Answer: ", "My choice is ", "I pick "]),
    suffix=st.sampled_from(["", " because it fits.", "\nThanks", "!"]),
)
def test_wrapped_labels_round_trip(
    label: str, wrap: str, upper: bool, prefix: str, suffix: str
) -> None:
    """Any wrapping, case and chatter around a label still yields that label."""
    shown = label.upper() if upper else label
    assert parse_label(prefix + wrap.format(shown) + suffix, LETTERS) == label


def test_labels_beyond_26_are_numbers() -> None:
    """Up to 26 options get letters, more get numbers."""
    assert make_labels(3) == ["a", "b", "c"]
    assert make_labels(30)[:3] == ["1", "2", "3"]
    assert parse_label("[27]", make_labels(30)) == "27"


def test_logprobs_normalise_and_missing_labels_get_zero() -> None:
    """Log-probabilities become a distribution over labels; absent labels have p = 0."""
    probs = probabilities_from_logprobs({"a": math.log(0.3), "b": math.log(0.1)}, ["a", "b", "c"])
    assert probs == pytest.approx([0.75, 0.25, 0.0])
    assert probabilities_from_logprobs({"x": 0.0}, ["a", "b"]) is None
    assert probabilities_from_logprobs(None, ["a"]) is None


def test_sample_index_inverts_the_cdf() -> None:
    """A pre-drawn uniform picks the option whose CDF interval contains it, skipping p = 0."""
    assert sample_index([0.2, 0.0, 0.8], 0.1) == 0
    assert sample_index([0.2, 0.0, 0.8], 0.2) == 2
    assert sample_index([0.2, 0.0, 0.8], 0.999999) == 2
