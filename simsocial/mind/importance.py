"""Importance ratings (1-10) for new memories, without one LLM call per memory.

Rating each observation with its own call was the largest source of calls in the original
generative agents. Here observations are rated in batches (one prompt lists up to `batch`
numbered memories and gets a list of integers back), events the scenario marks trivial get
importance 1 without a call, and ratings are cached by text. A batch whose answer is missing or
has the wrong length falls back to `default` for its items and is counted in `failures`.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, Field, create_model

from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import LLMPort

RATE_IMPORTANCE = Template(
    "mind.rate_importance",
    "On the scale of 1 to 10, where 1 is purely mundane (e.g., brushing teeth, making bed) and 10 "
    "is extremely poignant (e.g., a break up, college acceptance), rate the likely poignancy of "
    "each of the following memories of {name}.\n{memories}\n\n"
    "Give one integer rating per memory, in the same order, as the list `ratings`.",
)


class Ratings(BaseModel):
    """One integer 1-10 per memory, in order."""

    ratings: list[int] = Field(description="one rating 1-10 per memory, in order")


@cache
def ratings_for(n: int) -> type[Ratings]:
    """Ratings of at most n items: the schema bounds the list, so a model that enforces schemas
    (llama.cpp grammars) stops after n numbers instead of counting on to its token limit."""
    field = (list[int], Field(max_length=n, description="one rating 1-10 per memory, in order"))
    return create_model(f"Ratings{n}", __base__=Ratings, ratings=field)


class ImportanceRater:
    """Batches, skips trivial events and caches; `calls` and `failures` are counted."""

    def __init__(self, llm: LLMPort, batch: int = 20, default: int = 3) -> None:
        if batch < 1:
            raise ValueError("importance batch size must be at least 1")
        self.llm = llm
        self.batch = batch
        self.default = default
        self.cache: dict[str, int] = {}
        self.calls = 0
        self.failures = 0

    def plan(
        self, name: str, texts: list[str], trivial: list[bool] | None = None
    ) -> tuple[list[list[str]], list[str]]:
        """The uncached texts in chunks and one rating prompt per chunk, without calling.

        A scenario gathers the prompts of many agents in one batch and hands each rater its
        answers through `absorb`; `rate` is the one-agent path through the same two halves.
        """
        trivial = trivial or [False] * len(texts)
        if len(trivial) != len(texts):
            raise ValueError("`trivial` must have one flag per text")
        todo = list(dict.fromkeys(t for t, flat in zip(texts, trivial, strict=True) if not flat))
        todo = [t for t in todo if t not in self.cache]
        chunks = [todo[i : i + self.batch] for i in range(0, len(todo), self.batch)]
        prompts = [
            RATE_IMPORTANCE.render(
                name=name, memories="\n".join(f"{j + 1}. {t}" for j, t in enumerate(chunk))
            )
            for chunk in chunks
        ]
        return chunks, prompts

    def absorb(self, chunks: list[list[str]], answers: list[Ratings | None]) -> None:
        """Cache the ratings answered for `chunks` (a wrong-length answer gets the default)."""
        self.calls += len(chunks)
        for chunk, answer in zip(chunks, answers, strict=True):
            ok = answer is not None and len(answer.ratings) == len(chunk)
            if not ok:
                self.failures += 1
            for j, text in enumerate(chunk):
                value = answer.ratings[j] if ok else self.default
                self.cache[text] = int(min(10, max(1, value)))

    def rate(self, name: str, texts: list[str], trivial: list[bool] | None = None) -> list[int]:
        """Importance 1-10 for each text (trivial ones 1, cached ones from the cache)."""
        trivial = trivial or [False] * len(texts)
        chunks, prompts = self.plan(name, texts, trivial)
        self.absorb(chunks, self.llm.structured_many(prompts, Ratings) if prompts else [])
        return [1 if flat else self.cache[t] for t, flat in zip(texts, trivial, strict=True)]
