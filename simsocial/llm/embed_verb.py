"""The embed verb: texts in, unit-norm float32 rows out, through the same door as every call.

An embed ask is a `ProviderRequest` whose messages are the texts, whose model is the resolved
embedder name and whose `extra` says `verb: embed`, at temperature 0: its key is a content
address over (embedder, texts), shared by every draw and run. Two ways to answer it:

- ``hash`` (the dependency-free default) is computed in the caller's thread, without the
  gateway: it costs nothing, takes microseconds and is deterministic, so it is neither cached
  (the cache would only grow) nor held against the budget. It is still recorded: one
  llm_calls row per ask, path ``local``, cost 0, so a run's table shows every embedding asked.
- anything else (``minilm``, a litellm model) goes through `Gateway.call` like a completion:
  cached, de-duplicated, held against the budget, retried, recorded (path ``local`` for minilm,
  ``litellm`` for a remote model). The vectors travel in the reply text
  (`simsocial.llm.embeddings.encode_vectors`); the record keeps only their shape.

A failed embedding is an `Embedding` with `vectors` None and a record saying why: never zeros.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from simsocial.llm.asks import Ask, call_record
from simsocial.llm.attempts import Outcome
from simsocial.llm.embeddings import HashEmbedder, decode_vectors, resolve_name
from simsocial.llm.types import Embedding, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.session import Session

LOCAL = "hash"  # answered in-process without the gateway (see the module docstring)
_HASH = HashEmbedder()


def embed_ask(texts: list[str], embedding_model: str, meta: dict[str, Any] | None) -> Ask:
    """The prepared ask (no draw counter: an embedding is deterministic)."""
    request = ProviderRequest(
        model=resolve_name(embedding_model),
        messages=[{"role": "user", "content": str(t)} for t in texts],
        temperature=0.0,
        max_tokens=0,
        extra={"verb": "embed"},
    )
    return Ask("embed", request, meta or {}, key=request.key())


def is_local(ask: Ask) -> bool:
    """Whether the ask is answered in the caller's thread (the hash embedder)."""
    return ask.verb == "embed" and ask.request.model == LOCAL


def path_of(ask: Ask) -> str:
    """llm_calls.path of an embed ask."""
    return "local" if ask.request.model in (LOCAL, "minilm") else "litellm"


def texts_of(ask: Ask) -> list[str]:
    return [str(m["content"]) for m in ask.request.messages]


def gather_split(
    session: Session, asks: Sequence[Ask], progress: Callable[[int], None] | None
) -> list[Any]:
    """Answer local asks here, in order, and the rest through `session.gather` together."""
    answers: list[Any] = [answer_local(session, a) if is_local(a) else None for a in asks]
    remote = [i for i, a in enumerate(asks) if not is_local(a)]
    for i, answer in zip(remote, session.gather([asks[i] for i in remote], progress), strict=True):
        answers[i] = answer
    return answers


def answer_local(session: Session, ask: Ask) -> Embedding:
    """Hash-embed now and record it (cost 0, one attempt, not cached)."""
    start = time.perf_counter()
    vectors = _HASH.embed_sync(texts_of(ask))
    outcome = Outcome(
        ask.key,
        reply=ProviderReply(text="", priced=True),
        attempts=1,
        latency_s=time.perf_counter() - start,
    )
    return Embedding(vectors, record(session, ask, outcome, vectors.shape))


def finish(session: Session, ask: Ask, outcome: Outcome) -> Embedding:
    """Vectors from a gateway outcome; an unreadable or wrong-sized reply is a failure."""
    if outcome.reply is None:
        return Embedding(None, record(session, ask, outcome, None))
    try:
        vectors = decode_vectors(outcome.reply.text)
    except (ValueError, KeyError, TypeError) as exc:
        bad = Outcome(ask.key, error_kind="bad_response", error=f"embedding reply: {exc}")
        return Embedding(None, record(session, ask, bad, None))
    n = len(ask.request.messages)
    if vectors.ndim != 2 or vectors.shape[0] != n:
        error = f"{vectors.shape} vectors for {n} texts"
        bad = Outcome(ask.key, error_kind="bad_response", error=error)
        return Embedding(None, record(session, ask, bad, None))
    return Embedding(vectors, record(session, ask, outcome, vectors.shape))


def record(session: Session, ask: Ask, outcome: Outcome, shape: Any) -> Any:
    """The llm_calls row: the reply column names the shape, not the floats."""
    row = call_record(ask, ask.request, outcome, path_of(ask), session.run_id)
    row.reply = f"{shape[0]}x{shape[1]} float32" if shape is not None else None
    row.prompt_tokens = 0
    return session.keep(row, final=True, ask=ask)
