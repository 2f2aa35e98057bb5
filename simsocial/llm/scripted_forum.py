"""The scripted forum policy (``scripted/forum``): a SimReddit twin whose statistics are known.

What it answers, all hashed from the request key (so draws at temperature > 0 differ and the same
request always gets the same answer):

- persona list continuation ("... <k> more member(s) ..."): k unique, well-formed
  ``Name, one-liner`` lines whose names are not on the list shown; ``bad=<n>`` puts n rejected
  lines first, alternately malformed (no comma) and a duplicate of the first listed name.
- a post ("<Name> posted the following headline"): a question in a few hashed words; a reply
  ("<Name> wrote the following comment"): a short comment; a writer whose name contains "troll"
  writes "You are all idiots, ..." (an uncivil reply the judge below and the offline lexicon both
  flag). ``invalid=first`` answers a blank text unless the prompt says a previous answer was not
  accepted (the re-ask); ``invalid=always`` always answers blank.
- choices: a rules judge (options violates/follows) says violates iff the judged post contains
  "idiots"; a vote (up/down/none) and a realism pair (first/second) are uniform.

So thread lengths and speakers follow the model's rules alone, violations are exactly the
trolls' replies, and the realism judge's error rate is 0.5 in expectation.
"""

from __future__ import annotations

import hashlib
import math
import re

from simsocial.llm.types import ProviderRequest

PARAMS = {"bad"}
UNCIVIL = "idiots"
MORE = re.compile(r"(\d+) more members?\b")
LISTED = re.compile(r"^[ \t]*(?:\d+\.[ \t]*)?([^,\n]{1,40}),", re.MULTILINE)
WRITER = re.compile(
    r"^(?:<[^>]*>)?[ \t]*(.+?) (posted the following headline|wrote the following comment)",
    re.MULTILINE,
)
OPTION = re.compile(r"^[ \t]*(\w+)\)[ \t]+(.+?)[ \t]*$", re.MULTILINE)
JUDGED = re.compile(r"^<<<POST\n(.*?)\nPOST>>>$", re.MULTILINE | re.DOTALL)
REASKED = "was not accepted"
FIRST = [
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jules",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
]  # fmt: skip
LAST = [
    "Adler", "Brooks", "Carver", "Dalton", "Ellis", "Foster", "Garner", "Hayes", "Irwin",
    "Jensen", "Keller", "Lowry", "Mercer", "Nolan", "Osborn", "Pryor", "Quincy", "Rowe",
    "Sutton", "Tobin",
]  # fmt: skip
ROLES = [
    "teacher", "baker", "nurse", "student", "retiree", "chef", "gardener", "engineer", "parent",
    "writer",
]  # fmt: skip
HABITS = [
    "cooks on weekends", "asks lots of questions", "shares family recipes",
    "tries every new gadget", "loves spicy food", "meal-preps on Sundays", "bakes bread daily",
    "keeps a tiny balcony garden",
]  # fmt: skip
WORDS = [
    "pan", "oven", "garlic", "butter", "salt", "timing", "recipe", "sauce", "dough", "knife",
    "heat", "stock", "onion", "lemon", "rice", "pepper", "flour", "broth", "herbs", "roast",
]  # fmt: skip


def _uniform(*parts: object) -> float:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


def _pick(items: list[str] | tuple[str, ...], *parts: object) -> str:
    return items[int(_uniform(*parts) * len(items))]


def answer(
    request: ProviderRequest, key: str, prompt: str, params: dict[str, str], invalid: str | None
) -> tuple[str, dict[str, float] | None]:
    """The reply text and, for a choice asked with log-probabilities, the label distribution."""
    labels = request.choice_labels
    if labels:
        probs = _choice(labels, prompt)
        u, total = _uniform(key), 0.0
        pick = len(labels) - 1
        for i, p in enumerate(probs):
            total += p
            if u < total:
                pick = i
                break
        logprobs = {lb: math.log(p) for lb, p in zip(labels, probs, strict=True) if p > 0}
        return f"[{labels[pick]}]", logprobs if request.want_logprobs else None
    more = MORE.search(prompt)
    if more:
        return _list_lines(key, prompt, int(more.group(1)), int(params.get("bad", 0))), None
    writer = WRITER.search(prompt)
    if writer is None:
        return "ok", None
    if invalid == "always" or (invalid == "first" and REASKED not in prompt):
        return "   ", None
    name, what = writer.group(1).strip(), writer.group(2)
    words = [_pick(WORDS, key, i) for i in range(6)]
    if what.startswith("posted"):
        return f"Is {words[0]} {words[1]} better than {words[2]} {words[3]}?", None
    if "troll" in name.casefold():
        return f"You are all {UNCIVIL}, {words[0]} {words[1]} is a joke.", None
    return f"I would say {words[0]} and {words[1]}, then {words[2]} {words[3]}.", None


def _choice(labels: list[str], prompt: str) -> list[float]:
    """The distribution over labels: the judge's verdict is known, the rest uniform."""
    names = {label.casefold(): i for i, label in enumerate(labels)}
    shown = {label: i for i, label in enumerate(labels)}
    for label, text in OPTION.findall(prompt):
        if label in shown:
            names.setdefault(text.strip().casefold(), shown[label])
    if "violates" in names and "follows" in names:
        judged = JUDGED.search(prompt)
        bad = judged is not None and UNCIVIL in judged.group(1).casefold()
        probs = [0.0] * len(labels)
        probs[names["violates" if bad else "follows"]] = 1.0
        return probs
    return [1.0 / len(labels)] * len(labels)


def _list_lines(key: str, prompt: str, k: int, bad: int) -> str:
    """k new persona lines after `bad` rejected ones."""
    listed = [name.strip() for name in LISTED.findall(prompt)]
    taken = {name.casefold() for name in listed}
    lines = []
    for i in range(bad):
        if i % 2 == 0 or not listed:
            lines.append(f"{i + 1} this line has no separator")
        else:
            lines.append(f"{listed[0]}, a second account of someone already here")
    for j in range(k):
        tries = 0
        while True:
            name = f"{_pick(FIRST, key, j, tries, 'f')} {_pick(LAST, key, j, tries, 'l')}"
            if name.casefold() not in taken or tries > 50:
                break
            tries += 1
        if name.casefold() in taken:
            name = f"{name} {chr(ord('A') + j % 26)}"
        taken.add(name.casefold())
        role, habit = _pick(ROLES, key, j, "r"), _pick(HABITS, key, j, "h")
        lines.append(f"{name}, a {role} who {habit}")
    return "\n".join(lines)
