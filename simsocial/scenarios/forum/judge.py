"""The rule-violation judge of the forum: an LLM asked through the gateway, or a lexicon score.

The LLM judge (`judge_ask`) is a choice between "violates" and "follows" at temperature 0, so
its answers are cached and a rerun reproduces them; its model is configurable apart from the
agents' (`JudgeSpec.model`, pinned with the session's `model=`). `verdict` reads its answer.

`offline_score` is *not* a judge: it is a crude lexicon proxy for runs without a judge model
(`model: offline`), counting rule keywords and a small built-in list of uncivil, trolling and
self-marketing words. It misses sarcasm, paraphrase and context, and flags quotes of a rule
word; report it as "lexicon score", never as a violation rate measured by a judge.

Prompt layout (a scripted twin policy may parse it; keep it stable):

    You moderate the online forum "<community>", a community for <goal>.
    Its rules:
    - <rule 1>
    ...
    - No trolling.
    - No incivility.
    - No self-marketing.

    Does the post between the markers break any of these rules?

    <<<POST
    <the text, at most max_chars characters>
    POST>>>

    Answer "violates" if it breaks at least one rule, "follows" if it breaks none.

followed by the session's shuffled option lines (`a) violates` / `b) follows`, in either order).
`POST_TEXT` extracts the judged text from a rendered prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field, PositiveInt, field_validator

from simsocial.llm.prompts import Template
from simsocial.spec_base import StrictModel

OFFLINE = "offline"
OPTIONS = ("violates", "follows")
# the paper's persona line adds these to every community's own rules
DEFAULT_RULES = ("No trolling.", "No incivility.", "No self-marketing.")
POST_TEXT = re.compile(r"^<<<POST\n(.*?)\nPOST>>>$", re.MULTILINE | re.DOTALL)

JUDGE = Template(
    "forum.judge",
    'You moderate the online forum "{community}", a community for {goal}.\n'
    "Its rules:\n{rules}\n\n"
    "Does the post between the markers break any of these rules?\n\n"
    "<<<POST\n{text}\nPOST>>>\n\n"
    'Answer "violates" if it breaks at least one rule, "follows" if it breaks none.',
)


class JudgeSpec(StrictModel):
    """Who decides whether a post breaks the community's rules (`forum.judge`)."""

    model: str | None = Field(
        None,
        min_length=1,
        description=(
            "Judge model string: null uses the run's llm.model; 'offline' uses the lexicon score "
            "(no LLM, a crude proxy); any other value pins that model for the judge only."
        ),
    )
    threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Offline only: a lexicon score at or above this counts as a violation.",
    )
    max_chars: PositiveInt = Field(
        4000,
        description="Characters of a post shown to the LLM judge; longer posts are cut at a word.",
    )

    @field_validator("model")
    @classmethod
    def _no_blank_model(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a model string, 'offline' or null")
        return value


def rubric(rules: list[str]) -> list[str]:
    """The community's rules plus the three the paper adds, each once (case-insensitive)."""
    seen: set[str] = set()
    kept: list[str] = []
    for rule in [*rules, *DEFAULT_RULES]:
        key = rule.strip().rstrip(".").casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(rule.strip())
    return kept


def clip(text: str, max_chars: int) -> str:
    """`text` within `max_chars` characters, cut at a word boundary with an ellipsis."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip() + "…"


def judge_ask(
    session: Any,
    text: str,
    community_name: str,
    goal: str,
    rules: list[str],
    model: str | None,
    rng: np.random.Generator,
    *,
    max_chars: int = 4000,
    meta: Mapping[str, Any] | None = None,
) -> Any:
    """The ask "does `text` break the rules?" (answer: Choice of "violates"/"follows"), at
    temperature 0 so it is cached; `model` pins the judge's model (None: the session's)."""
    if model == OFFLINE:
        raise ValueError("the offline judge asks no model: use offline_score")
    prompt = JUDGE.render(
        community=community_name,
        goal=goal,
        rules="\n".join(f"- {rule}" for rule in rubric(rules)),
        text=clip(text, max_chars),
    )
    return session.ask_choose(
        prompt,
        list(OPTIONS),
        rng=rng,
        temperature=0.0,
        model=model,
        meta={"purpose": "forum.judge", **(meta or {})},
    )


def verdict(answer: Any) -> bool | None:
    """True: violates, False: follows, None: the judge failed (no parseable answer)."""
    choice = getattr(answer, "choice", None)
    return None if choice not in OPTIONS else choice == "violates"


# --- the offline lexicon score ------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9']+")
# Built-in terms a post should not contain whatever the community: incivility, trolling and
# self-marketing (the rules the paper adds everywhere). Small on purpose: a proxy, not a model.
LEXICON = frozenset(
    {
        # incivility
        "idiot", "idiots", "stupid", "moron", "morons", "dumb", "pathetic", "loser", "losers",
        "shut up", "hate you", "trash", "garbage", "clown", "disgusting", "screw you", "go away",
        "nobody asked", "brain dead", "imbecile", "scum",
        # trolling
        "lol", "lmao", "cope", "triggered", "snowflake", "cry more", "stay mad", "ratio",
        "get rekt", "bait",
        # self-marketing
        "subscribe", "my channel", "check out my", "follow me", "link in bio", "promo code",
        "discount code", "buy now", "click here", "dm me", "my shop", "my store", "my course",
        "sign up", "use my code", "affiliate", "http", "https", "www",
    }
)  # fmt: skip
# Words that carry no checkable content in a rule ("No personal attacks" -> personal, attack).
_STOP = frozenset(
    {
        "a", "an", "the", "no", "not", "never", "dont", "don't", "do", "does", "avoid", "without",
        "any", "anything", "or", "and", "of", "to", "in", "on", "for", "with", "about", "from",
        "by", "at", "as", "is", "are", "be", "been", "being", "this", "that", "these", "those",
        "it", "its", "your", "you", "we", "our", "their", "them", "they", "he", "she", "his",
        "her", "must", "should", "may", "can", "only", "always", "please", "keep", "stay", "use",
        "post", "posts", "posting", "comment", "comments", "reply", "replies", "content", "here",
        "there", "other", "others", "self", "allowed", "each", "all", "one", "more", "than",
        "so", "if", "like", "just", "also", "etc",
    }
)  # fmt: skip
_POSITIVE_START = frozenset(
    {
        "be", "keep", "stay", "use", "respect", "treat", "follow", "remain", "include", "tag",
        "cite", "label", "always", "only",
    }
)  # fmt: skip
_POSITIVE_WORDS = frozenset({"must", "should", "always", "only", "please"})
_NEGATION = frozenset({"no", "not", "never", "don't", "dont", "avoid", "without", "nor"})


def _stem(word: str) -> str:
    """A crude suffix strip so 'spoilers', 'spoiler' and 'spoiling' meet."""
    word = word.removesuffix("'s").strip("'")
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("-", " "))


def rule_keywords(rule: str) -> frozenset[str]:
    """Stems a rule forbids, or none for a rule stated positively ('Be kind', 'Posts must be
    about X'): word matching cannot tell whether a post keeps such a rule."""
    words = _words(rule)
    if not words:
        return frozenset()
    negated = any(w in _NEGATION for w in words)
    positive = words[0] in _POSITIVE_START or any(w in _POSITIVE_WORDS for w in words)
    if positive and not negated:
        return frozenset()
    return frozenset(_stem(w) for w in words if w not in _STOP and len(w) > 2)


def offline_score(text: str, rules: list[str]) -> float:
    """A lexicon score in [0, 1], deterministic: the larger of (a) the best share of one
    prohibition's keywords found in `text` and (b) half the number of built-in lexicon terms
    found (two or more: 1). A crude proxy for runs without a judge model, not a judge."""
    words = _words(text)
    stems = {_stem(w) for w in words}
    joined = f" {' '.join(words)} "
    lexicon_hits = sum(f" {term} " in joined for term in LEXICON)
    rule_share = 0.0
    for rule in rules:
        keywords = rule_keywords(rule)
        if keywords:
            rule_share = max(rule_share, len(keywords & stems) / len(keywords))
    return float(min(1.0, max(rule_share, lexicon_hits / 2)))
