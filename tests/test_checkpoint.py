"""Checkpoint files round-trip every type a state holds, exactly, and refuse what is not data."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simsocial import checkpoint

PLAIN = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
KEYS = st.text() | st.integers()
DATA = st.recursive(
    PLAIN,
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(KEYS, inner),
    max_leaves=30,
)


@given(DATA)
def test_any_nesting_of_plain_data_comes_back_equal_with_its_types(value):
    back = checkpoint.loads(checkpoint.dumps({"v": value}))["v"]
    assert back == value and _shape(back) == _shape(value)


def _shape(value):
    """Types all the way down (a tuple must stay a tuple, an int key an int)."""
    if isinstance(value, dict):
        return ("dict", sorted((repr(k), type(k).__name__, _shape(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(v) for v in value])
    return type(value).__name__


def test_rng_states_arrays_and_special_floats_survive_exactly():
    rng = np.random.default_rng(7)
    state = {
        "rng": rng.bit_generator.state,  # 128-bit integers
        "random": random.Random(3).getstate(),  # a tuple of 625 ints inside a tuple
        "matrix": rng.random((3, 4)).astype(np.float32),
        "ids": np.arange(5, dtype=np.int64),
        "scalar": np.float64(0.1),
        "floats": [math.inf, -math.inf, 1e-310],
        "blob": b"\x00\xff",
        "tagged": {"$tuple": "a key that looks like a tag"},
        "set": {3, 1, 2},
    }
    back = checkpoint.loads(checkpoint.dumps(state))
    assert back["rng"] == state["rng"] and back["random"] == state["random"]
    assert back["matrix"].dtype == np.float32 and np.array_equal(back["matrix"], state["matrix"])
    assert np.array_equal(back["ids"], state["ids"]) and back["ids"].dtype == np.int64
    assert type(back["scalar"]) is np.float64 and back["scalar"] == state["scalar"]
    assert back["floats"] == state["floats"] and back["blob"] == state["blob"]
    assert back["tagged"] == state["tagged"] and back["set"] == {1, 2, 3}
    nan = checkpoint.loads(checkpoint.dumps({"x": math.nan}))["x"]
    assert math.isnan(nan)
    restored = random.Random()
    restored.setstate(back["random"])
    assert restored.random() == random.Random(3).random()


def test_an_object_is_refused_with_its_path():
    class Record:
        pass

    with pytest.raises(TypeError, match=r"state\.agents\.3\.memory\[1\]: a Record cannot"):
        checkpoint.dumps({"agents": {3: {"memory": ["ok", Record()]}}})


def test_a_damaged_or_foreign_file_is_named(tmp_path):
    path = tmp_path / "latest.ckpt"
    path.write_bytes(checkpoint.dumps({"next_step": 3})[:-1] + b"4")
    with pytest.raises(checkpoint.CheckpointError, match="checksum does not match"):
        checkpoint.read(path)
    path.write_bytes(b"\x80\x04K\x01.")  # a pickle
    with pytest.raises(checkpoint.CheckpointError, match="not a simsocial checkpoint"):
        checkpoint.read(path)
