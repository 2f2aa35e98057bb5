"""Importance ratings (1-10) for new memories, without one LLM call per memory.

Rating each observation with its own call was the largest source of calls in the original
generative agents. Here observations are rated in batches (one prompt lists up to `batch`
numbered memories and gets a list of integers back), events the scenario marks trivial get
importance 1 without a call, and ratings are cached by text.

A rating is never made up. The schema asks for exactly one integer 1-10 per memory, so a reply
with the wrong length or a number out of range fails validation and the session re-asks once,
quoting the error (the project's policy for structured answers); a call that failed outright was
already retried by the gateway. A batch still without usable ratings is a counted failure (its
reason in `failures`; the reply and error kind in the run's llm_calls table), and its memories
are stored *unrated* (importance None): they add nothing to the reflection trigger and get no
importance term in retrieval. They are not cached, so the same text is asked again when it is
perceived again (but not re-asked while the failed batch is being stored).
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import AskPort
from simsocial.rounds import Rounds

RATE_IMPORTANCE = Template(
    "mind.rate_importance",
    "On the scale of 1 to 10, where 1 is purely mundane (e.g., brushing teeth, making bed) and 10 "
    "is extremely poignant (e.g., a break up, college acceptance), rate the likely poignancy of "
    "each of the following memories of {name}.\n{memories}\n\n"
    "Give one integer rating per memory, in the same order, as the list `ratings`.",
)
Rating = Annotated[int, Field(ge=1, le=10)]


class Ratings(BaseModel):
    """One integer 1-10 per memory, in order."""

    ratings: list[int] = Field(description="one rating 1-10 per memory, in order")


@cache
def ratings_for(n: int) -> type[Ratings]:
    """Exactly n ratings of 1-10: the bounds make a wrong answer a validation error (re-asked
    once by the session), and a model that enforces schemas (llama.cpp grammars) stops after n
    numbers instead of counting on to its token limit."""
    field = (
        list[Rating],
        Field(min_length=n, max_length=n, description="one rating 1-10 per memory, in order"),
    )
    return create_model(f"Ratings{n}", __base__=Ratings, ratings=field)


def problem(answer: Ratings | None, size: int) -> str | None:
    """Why an answer gives no ratings for a batch of `size` memories (None: it does)."""
    if answer is None:
        return "no_answer"
    if len(answer.ratings) != size:
        return "wrong_length"
    if any(not 1 <= int(r) <= 10 for r in answer.ratings):
        return "out_of_range"
    return None


class ImportanceRater:
    """Batches, skips trivial events and caches; counts calls, failed batches by reason, and
    the memories left unrated."""

    def __init__(self, llm: AskPort, batch: int = 20) -> None:
        if batch < 1:
            raise ValueError("importance batch size must be at least 1")
        self.llm = llm
        self.batch = batch
        self.cache: dict[str, int] = {}
        self.calls = 0
        self.failures: Counter[str] = Counter()
        self.unrated = 0
        self.missing: set[str] = set()  # failed in `absorb`, not yet looked up: not re-asked

    def plan(
        self, name: str, texts: list[str], trivial: list[bool] | None = None
    ) -> tuple[list[list[str]], list[str]]:
        """The uncached texts in chunks and one rating prompt per chunk, without calling.

        `asks` prepares them and `absorb` takes the answers; the mind merges them into one
        round with its embeddings, `rate` is the round on its own.
        """
        trivial = trivial or [False] * len(texts)
        if len(trivial) != len(texts):
            raise ValueError("`trivial` must have one flag per text")
        todo = list(dict.fromkeys(t for t, flat in zip(texts, trivial, strict=True) if not flat))
        todo = [t for t in todo if t not in self.cache and t not in self.missing]
        chunks = [todo[i : i + self.batch] for i in range(0, len(todo), self.batch)]
        prompts = [
            RATE_IMPORTANCE.render(
                name=name, memories="\n".join(f"{j + 1}. {t}" for j, t in enumerate(chunk))
            )
            for chunk in chunks
        ]
        return chunks, prompts

    def absorb(self, chunks: list[list[str]], answers: list[Ratings | None]) -> None:
        """Cache the ratings answered for `chunks`; count a chunk without usable ones."""
        self.calls += len(chunks)
        for chunk, answer in zip(chunks, answers, strict=True):
            reason = problem(answer, len(chunk))
            if reason is not None:
                self.failures[reason] += 1
                self.missing.update(chunk)
                continue
            assert answer is not None
            self.cache.update((t, int(r)) for t, r in zip(chunk, answer.ratings, strict=True))

    def asks(self, chunks: list[list[str]], prompts: list[str]) -> list[Any]:
        """One ask per chunk, each bound to exactly its chunk's number of ratings."""
        return [
            self.llm.structured(p, ratings_for(len(c)))
            for c, p in zip(chunks, prompts, strict=True)
        ]

    def rate(
        self, name: str, texts: list[str], trivial: list[bool] | None = None
    ) -> Rounds[list[int | None]]:
        """Importance 1-10 for each text (trivial ones 1, cached ones from the cache, None for
        a text whose rating failed; each None is counted in `unrated`): one round, or none
        when every text is trivial or cached."""
        trivial = trivial or [False] * len(texts)
        chunks, prompts = self.plan(name, texts, trivial)
        if chunks:
            answers = yield self.asks(chunks, prompts)
            self.absorb(chunks, [answer.value for answer in answers])
        return self.results(texts, trivial)

    def results(self, texts: list[str], trivial: list[bool]) -> list[int | None]:
        """The ratings after `absorb`: 1 for trivial texts, else `lookup`."""
        return [1 if flat else self.lookup(t) for t, flat in zip(texts, trivial, strict=True)]

    def lookup(self, text: str) -> int | None:
        """The cached rating of a text, or None (counted) when its rating failed."""
        if text in self.cache:
            return self.cache[text]
        self.missing.discard(text)
        self.unrated += 1
        return None
