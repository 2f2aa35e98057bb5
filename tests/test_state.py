"""State declared as fields round-trips through a checkpoint file exactly."""

from __future__ import annotations

from collections import Counter

import numpy as np

from simsocial import checkpoint
from simsocial.state import Stateful


class Inner(Stateful):
    STATE = ("vector",)

    def __init__(self) -> None:
        self.vector = np.zeros(3, dtype=np.float32)


class Base(Stateful):
    STATE = ("done",)

    def __init__(self) -> None:
        self.done = False


class Thing(Base):
    STATE = ("counts", "pending", "inner", "pair")

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.pending: dict[int, list[str]] = {}
        self.inner = Inner()
        self.pair = (0, 0.0)


def test_declared_fields_survive_a_checkpoint_with_their_types():
    """A subclass adds its fields to its base's; Counters, int keys, tuples, arrays and nested
    state come back as they were."""
    thing = Thing()
    thing.done, thing.counts["talk"], thing.pending[7] = True, 3, ["news"]
    thing.inner.vector[:] = [0.1, 0.2, 0.3]
    thing.pair = (2, 0.5)
    assert Thing.state_fields() == ("done", "counts", "pending", "inner", "pair")
    fresh = Thing()
    kept_inner = fresh.inner
    fresh.set_state(checkpoint.loads(checkpoint.dumps(thing.get_state())))
    assert fresh.done is True and fresh.counts == Counter(talk=3)
    assert isinstance(fresh.counts, Counter) and fresh.pending == {7: ["news"]}
    assert fresh.inner is kept_inner and np.array_equal(fresh.inner.vector, thing.inner.vector)
    assert fresh.pair == (2, 0.5)
