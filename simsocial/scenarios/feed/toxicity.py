"""How uncivil the feed's posts are: an LLM judge on a 0-3 codebook, and an offline offensive score.

The judge (`toxicity_asks`) is asked through the session's structured verb at temperature 0, so
its answers are cached and a rerun reproduces them; its model is set apart from the agents'
(`ToxicitySpec.model`, pinned with the session's `model=`). Posts go in batches of about
`ToxicitySpec.batch` per ask (one call scores many posts: the paper's budget), in an order
shuffled with the model's rng so a post's place in the list does not follow its step. Each
answer lists a score per post id; `read_scores` takes them back, and a post the judge left out
or scored outside 0-3 is None (the caller counts those; never 0).

`offensive_probs` is *not* the judge: it is the offline `alt-profanity-check` model (a linear
classifier on character n-grams shipped with the package), which measures offensive language
(swearing, slurs), not incivility. Report it as `offensive_prob`, never as toxicity; it needs the
optional `feed` extra and returns None without it.

Prompt layout (a scripted twin may parse it; keep it stable):

    You rate how uncivil social media posts are, each on this codebook:
    0 = civil: ...
    1 = mildly uncivil: ...
    2 = very uncivil: ...
    3 = extremely uncivil: ...

    Rate every post between the markers. Each post is one line: its id in brackets, then its
    text.

    <<<POSTS
    [<post id>] <text on one line, at most MAX_CHARS characters>
    ...
    POSTS>>>

    Give every post id listed exactly one score from 0 to 3.

followed by the structured verb's JSON instruction and the schema of `ToxicityScores`.
`POST_LINE` (within `POSTS_BLOCK`) extracts (id, text) pairs from a rendered prompt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, PositiveInt, field_validator

from simsocial.llm.prompts import Template
from simsocial.spec_base import StrictModel

OFFLINE = "offline"
DEFAULT_BATCH = 50  # posts per ask, as the paper batched them
MAX_CHARS = 1000  # characters of a post shown to the judge (tweets and comments are shorter)
LEVELS = (0, 1, 2, 3)
CODEBOOK = (
    "0 = civil: no incivility; disagreement and criticism are put respectfully.\n"
    "1 = mildly uncivil: sarcasm, mockery, dismissive or rude wording, mild name-calling.\n"
    "2 = very uncivil: direct attacks on a person or a group, insults, swearing at someone.\n"
    "3 = extremely uncivil: dehumanisation, threats, wishing or calling for harm."
)
POSTS_BLOCK = re.compile(r"^<<<POSTS\n(.*?)\nPOSTS>>>$", re.MULTILINE | re.DOTALL)
POST_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)

JUDGE = Template(
    "feed.toxicity",
    "You rate how uncivil social media posts are, each on this codebook:\n{codebook}\n\n"
    "Rate every post between the markers. Each post is one line: its id in brackets, then its "
    "text.\n\n<<<POSTS\n{posts}\nPOSTS>>>\n\n"
    "Give every post id listed exactly one score from 0 to 3.",
)


class ToxicitySpec(StrictModel):
    """Who scores the feed's posts on the 0-3 incivility codebook (`judge:` of the feed block)."""

    model: str | None = Field(
        None,
        min_length=1,
        description=(
            "Judge model string: null uses the run's llm.model; 'offline' asks no LLM (only the "
            "offline offensive_prob is reported, not toxicity); any other value pins that model "
            "for the judge only, apart from the agents'."
        ),
    )
    batch: PositiveInt = Field(
        DEFAULT_BATCH,
        description="Posts scored per ask, about (a step's posts split into equal batches).",
    )

    @field_validator("model")
    @classmethod
    def _no_blank_model(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a model string, 'offline' or null")
        return value


class PostScore(BaseModel):
    """One post's score. Any integer validates, so one score out of range loses that post
    (None in `read_scores`), not the whole batch."""

    post_id: int = Field(description="the id in brackets before the post")
    score: int = Field(description="0 civil, 1 mildly uncivil, 2 very uncivil, 3 extremely uncivil")


class ToxicityScores(BaseModel):
    """The judge's answer to one batch: a score per post id listed."""

    scores: list[PostScore] = Field(description="one entry per post id listed, in any order")


def one_line(text: str, max_chars: int = MAX_CHARS) -> str:
    """`text` on one line (whitespace collapsed, so no post can break the layout), cut at a
    word (or mid-word when a word is longer than half of it) within `max_chars` characters."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    cut = flat[: max_chars - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip() + "…"


def batches(n: int, batch: int) -> int:
    """How many asks score `n` posts in batches of about `batch`."""
    return math.ceil(n / batch) if n else 0


def toxicity_asks(
    session: Any,
    posts: Sequence[tuple[int, str]],
    model: str | None,
    rng: np.random.Generator,
    *,
    batch: int = DEFAULT_BATCH,
    meta: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Structured asks scoring `posts` (post id, text) on the codebook, about `batch` a call,
    at temperature 0 (cached); `model` pins the judge's model (None: the session's). The post
    order is shuffled with `rng` (one permutation drawn when there are posts)."""
    if model == OFFLINE:
        raise ValueError("the offline judge asks no model: use offensive_probs")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    if not posts:
        return []
    order = rng.permutation(len(posts))
    asks = []
    for chunk in np.array_split(order, batches(len(posts), batch)):
        chosen = [posts[int(i)] for i in chunk]
        lines = "\n".join(f"[{int(pid)}] {one_line(str(text))}" for pid, text in chosen)
        asks.append(
            session.ask_structured(
                JUDGE.render(codebook=CODEBOOK, posts=lines),
                ToxicityScores,
                temperature=0.0,
                model=model,
                meta={
                    "purpose": "feed.toxicity",
                    "post_ids": [int(pid) for pid, _ in chosen],
                    **(meta or {}),
                },
            )
        )
    return asks


def read_scores(answers: Sequence[Any], post_ids: Sequence[int]) -> dict[int, int | None]:
    """Each of `post_ids` with the judge's score, or None when no answer scored it in 0-3 (a
    failed batch, a left-out id, an out-of-range score, or two different scores for one id).
    Ids the judge invented are ignored."""
    wanted = {int(pid) for pid in post_ids}
    found: dict[int, set[int]] = {}
    for answer in answers:
        value = getattr(answer, "value", None)
        if not isinstance(value, ToxicityScores):
            continue
        for entry in value.scores:
            if entry.post_id in wanted:
                found.setdefault(entry.post_id, set()).add(entry.score)
    scores: dict[int, int | None] = {}
    for pid in post_ids:
        given = found.get(int(pid), set())
        only = next(iter(given)) if len(given) == 1 else None
        scores[int(pid)] = only if only in LEVELS else None
    return scores


def offensive_probs(texts: Sequence[str]) -> list[float] | None:
    """Offline probability that each text is offensive language (alt-profanity-check), or None
    when the package (the `feed` extra) is not installed. Offensive, not toxic: see the module
    docstring."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    if not texts:
        return []
    return [float(p) for p in predict_prob([str(t) for t in texts])]


def offensive_unavailable() -> str | None:
    """Why `offensive_probs` returns None here (one line), or None when it works."""
    try:
        import profanity_check  # noqa: F401
    except ImportError as exc:
        return f"alt-profanity-check is not installed (pip install 'simsocial[feed]'): {exc}"
    return None
