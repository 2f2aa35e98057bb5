"""choose() mechanics: labels, reply normalisation and label log-probabilities.

Kept apart from the gateway because it is pure logic with known answers (hypothesis-tested):
models answer `b)`, `(B)`, `"b"`, `[b]`, `B.`, `Answer: b` or `I choose [k] because ...`, and all
of these must name the same option.

Parsing rule, in order: the whole reply is a label; else the first bracketed token (`[x]`, `(x)`,
`{x}`) that is a label; else the first whitespace token that equals a label once surrounding
punctuation and case are stripped. Nothing matches -> None (the gateway records a "parse" failure).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

_BRACKETED = re.compile(r"[\[({<]\s*([^\[\](){}<>\s]+)\s*[\])}>]")
_STRIP = string.punctuation + "\"'`“”‘’«»*_ \t\n"


def make_labels(n: int) -> list[str]:
    """Labels shown for n relabelled options: a..z, or 1..n beyond 26 options."""
    if n <= 26:
        return list(string.ascii_lowercase[:n])
    return [str(i + 1) for i in range(n)]


def _fold(token: str) -> str:
    return token.strip(_STRIP).casefold()


def parse_label(reply: str, labels: Sequence[str]) -> str | None:
    """The label a free-text reply names, or None. See the module docstring for the rule."""
    if not reply:
        return None
    exact = {label: label for label in labels}
    folded: dict[str, str] = {}
    for label in labels:
        folded.setdefault(_fold(label), label)

    def lookup(token: str) -> str | None:
        if token in exact:
            return exact[token]
        return folded.get(_fold(token))

    whole = lookup(reply.strip())
    if whole is not None:
        return whole
    for match in _BRACKETED.finditer(reply):
        found = lookup(match.group(1))
        if found is not None:
            return found
    for token in reply.split():
        found = lookup(token)
        if found is not None:
            return found
    return None


def probabilities_from_logprobs(
    label_logprobs: Mapping[str, float] | None, labels: Sequence[str]
) -> list[float] | None:
    """Normalised probabilities per label (in `labels` order); None when no label has mass."""
    if not label_logprobs:
        return None
    values = [label_logprobs.get(label, -math.inf) for label in labels]
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    top = max(finite)
    weights = [math.exp(v - top) if v is not None and math.isfinite(v) else 0.0 for v in values]
    total = sum(weights)
    return [w / total for w in weights]


def sample_index(probabilities: Sequence[float], u: float) -> int:
    """Inverse-CDF sample with a uniform drawn beforehand (so order of completion is irrelevant)."""
    cumulative = 0.0
    last = 0
    for index, p in enumerate(probabilities):
        if p <= 0:
            continue
        cumulative += p
        last = index
        if u < cumulative:
            return index
    return last


def _get(obj: Any, name: str) -> Any:
    """Field of an OpenAI-shaped reply part, whether it is a dict or an object (litellm)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def label_logprobs_from_tokens(
    content: Sequence[Any] | None, labels: Sequence[str]
) -> dict[str, float] | None:
    """Per-label log-probabilities from OpenAI `logprobs.content`: at the first generated token
    that is a label (so `[k]` works as well as `k`), sum the top alternatives by label."""
    if not content:
        return None
    folded = {_fold(label): label for label in labels}
    for position in content:
        if _fold(str(_get(position, "token") or "")) not in folded:
            continue
        alternatives = _get(position, "top_logprobs") or [position]
        mass: dict[str, float] = {}
        for alt in alternatives:
            label = folded.get(_fold(str(_get(alt, "token") or "")))
            logprob = _get(alt, "logprob")
            if label is None or logprob is None:
                continue
            p = math.exp(float(logprob))
            mass[label] = mass.get(label, 0.0) + p
        return {label: math.log(p) for label, p in mass.items() if p > 0} or None
    return None
