"""Pytest's default import mode cannot hold two test files with one basename."""

from collections import Counter
from pathlib import Path


def test_no_two_test_modules_share_a_basename() -> None:
    names = Counter(path.name for path in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
