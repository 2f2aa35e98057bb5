"""Context budget: what the mind puts into a prompt never exceeds a token budget.

Long runs overflow the context window when memories are pasted in unbounded (the most common
complaint about OASIS). Tokens are estimated without a tokenizer as ceil(characters / 4), the
usual rule of thumb for English BPE vocabularies; budgets should leave headroom for that error.
"""

from __future__ import annotations

import math


def estimate_tokens(text: str) -> int:
    """Token estimate: ceil(len(text) / 4) (0 for the empty string)."""
    return math.ceil(len(text) / 4)


def pack(lines: list[str], budget: int, sep: str = "\n") -> list[str]:
    """Keep lines in priority order (first = most wanted) while the joined text fits `budget`.

    A line that does not fit is skipped and later, shorter ones may still go in; the result,
    joined with `sep`, always has estimate_tokens(...) <= budget.
    """
    kept: list[str] = []
    used = 0  # characters of the joined kept lines
    for line in lines:
        extra = len(line) + (len(sep) if kept else 0)
        if math.ceil((used + extra) / 4) <= budget:
            kept.append(line)
            used += extra
    return kept


def truncate(text: str, budget: int, marker: str = "...") -> str:
    """Cut text to fit the budget, ending with `marker` when it was cut."""
    if estimate_tokens(text) <= budget:
        return text
    room = max(0, budget * 4 - len(marker))
    return (text[:room] + marker)[: budget * 4]
