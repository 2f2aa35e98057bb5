"""The scripted survey respondent (``scripted/survey``): a twin whose fidelity is known.

It gives the persona's true answer with probability ``a`` and a uniform answer otherwise, so over
k options P(true answer) = a + (1 - a)/k, and the whole distribution is returned as label
log-probabilities when asked (calibration is known too).

How it learns the truth, honestly: only from the prompt, as a real model would. The survey kind
states the persona's own answer when `survey.oracle` is on ('When asked "...", you answered
"<option>".'); the twin finds that option among the shown ``label) text`` lines. Without that
sentence it cannot know the answer and is a chance respondent (a = 0: accuracy 1/k, kappa 0), a
known answer too. There is no hidden marker and no side channel: the twin sees what any model
sees under the same spec.

Subgroup gaps where the twin puts them: ``when=<text>&a_when=<float>`` uses ``a_when`` instead of
``a`` for every prompt containing the text (e.g. ``when=You+are+Black.`` for one race group in
second-person prompts), and nowhere else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

PARAMS = {"a", "when", "a_when"}
ANSWERED = re.compile(r'answered "(.+?)"\.')
OPTION = re.compile(r"^[ \t]*(\w+)\)[ \t]+(.+?)[ \t]*$", re.MULTILINE)


def _share(params: dict[str, str], name: str) -> float:
    value = float(params[name])
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"scripted/survey {name}= must be in [0, 1], not {value}")
    return value


def check(params: dict[str, str]) -> None:
    """Refuse a bad model string when the provider is made, not on every call."""
    try:
        for name in ("a", "a_when"):
            if name in params:
                _share(params, name)
    except ValueError as exc:
        raise ValueError(f"scripted/survey: {exc}") from None
    if ("when" in params) != ("a_when" in params):
        raise ValueError("scripted/survey needs when= and a_when= together")


def fidelity(params: dict[str, str], prompt: str) -> float:
    """The `a` that applies to this prompt."""
    if "when" in params and params["when"] in prompt:
        return _share(params, "a_when")
    return _share(params, "a") if "a" in params else 1.0


def probabilities(labels: list[str], prompt: str, params: dict[str, str]) -> list[float]:
    """a + (1 - a)/k on the stated true answer, (1 - a)/k elsewhere; uniform when none is
    stated."""
    k = len(labels)
    stated = ANSWERED.search(prompt)
    shown = {text.casefold(): label for label, text in OPTION.findall(prompt) if label in labels}
    true = shown.get(stated.group(1).casefold()) if stated else None
    if true is None:
        return [1.0 / k] * k
    a = fidelity(params, prompt)
    probs = [(1.0 - a) / k] * k
    probs[labels.index(true)] += a
    return probs


def answer(
    labels: list[str], prompt: str, params: dict[str, str], u: float, want_logprobs: bool
) -> tuple[str, dict[str, float] | None]:
    """The reply (`[label]`, drawn with the uniform `u`) and the label log-probabilities."""
    probs = probabilities(labels, prompt, params)
    pick, total = len(labels) - 1, 0.0
    for i, p in enumerate(probs):
        total += p
        if u < total:
            pick = i
            break
    logprobs = {lb: math.log(p) for lb, p in zip(labels, probs, strict=True) if p > 0}
    return f"[{labels[pick]}]", logprobs if want_logprobs else None


def expected(a: float, shares: Sequence[float]) -> dict[str, float]:
    """The twin's known metrics over k options whose true answers have the shares p:

    - accuracy a + (1 - a)/k;
    - kappa a(1 - S) / (1 - aS - (1 - a)/k) with S = sum p^2: p_o is the accuracy, and the
      answers' marginal is a p + (1 - a)/k, so p_e = sum p (a p + (1 - a)/k) = aS + (1 - a)/k;
    - total variation distance (1 - a)/2 sum |p - 1/k| (answers' marginal minus truths');
    - Brier (1 - a)^2 (k - 1)/k, the same for every answer: (1 - a)(1 - 1/k) off on the truth
      and (1 - a)/k on each of the k - 1 others.
    """
    p = np.asarray(shares, dtype=float)
    k = len(p)
    s = float((p**2).sum())
    return {
        "accuracy": a + (1 - a) / k,
        "kappa": a * (1 - s) / (1 - a * s - (1 - a) / k),
        "tvd": (1 - a) / 2 * float(np.abs(p - 1 / k).sum()),
        "brier": (1 - a) ** 2 * (k - 1) / k,
    }
