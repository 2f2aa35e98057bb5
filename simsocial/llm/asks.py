"""What the verbs put in a request and how they read the reply (no I/O here).

- choose(): relabelled options are shuffled with the caller's rng and appended as `a) ...` lines
  (template llm.choose_options); the reply is read from label log-probabilities when present
  (sampled with a uniform fixed at prepare time), else parsed from the text (simsocial.llm.choice).
- structured(): the schema goes into the prompt (llm.structured_instruction) and into
  `ProviderRequest.json_schema` for providers that enforce it; an invalid reply gets one repair
  request (llm.structured_repair) quoting the validator.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from simsocial.llm.choice import make_labels, parse_label, probabilities_from_logprobs, sample_index
from simsocial.llm.prompts import (
    CHOOSE_OPTION_LINE,
    CHOOSE_OPTIONS,
    STRUCTURED_INSTRUCTION,
    STRUCTURED_REPAIR,
)
from simsocial.llm.types import CallRecord, Choice, ProviderReply, ProviderRequest, Verb

if TYPE_CHECKING:
    from simsocial.llm.attempts import Outcome
    from simsocial.llm.config import LLMConfig
    from simsocial.llm.session import Session

Prompt = str | list[dict[str, str]]
Messages = list[dict[str, str]]


@dataclass(slots=True, eq=False)
class Ask:
    """A prepared request: everything random is already decided, only the call remains."""

    verb: Verb
    request: ProviderRequest
    meta: dict[str, Any] = field(default_factory=dict)
    options: Sequence[Any] | None = None  # choose(): the caller's options
    shown: list[int] | None = None  # choose(): option index shown at each position
    labels: list[str] | None = None  # choose(): label shown at each position
    relabel: bool = True
    u: float = 0.0  # choose(): uniform for sampling from label probabilities
    schema: type[BaseModel] | None = None  # structured()
    key: str = ""  # request.key(), computed once when the draw index is assigned
    config: LLMConfig | None = None  # a model other than the session's (a persona's pinned one)


def as_messages(prompt: Prompt, system: str | None = None) -> Messages:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    return messages


def with_last_user(messages: Messages, rewrite: Callable[[str], str]) -> Messages:
    """Copy of messages with the last user message's content rewritten (templates wrap it)."""
    out = [dict(m) for m in messages]
    for message in reversed(out):
        if message.get("role") == "user":
            message["content"] = rewrite(str(message.get("content") or ""))
            return out
    return [*out, {"role": "user", "content": rewrite("")}]


# -- choose() ---------------------------------------------------------------------------------


def choose_setup(
    prompt: Prompt,
    options: Sequence[Any],
    rng: np.random.Generator,
    relabel: bool,
    render: Callable[[Any], str],
) -> tuple[Messages, list[int], list[str]]:
    """(messages, option index shown at each position, label at each position)."""
    n = len(options)
    if n == 0:
        raise ValueError("choose() needs at least one option")
    if not relabel:
        labels = [render(option) for option in options]
        if len(set(labels)) != n:
            raise ValueError(f"choose(relabel=False) needs distinct rendered options, got {labels}")
        return as_messages(prompt), list(range(n)), labels
    shown = [int(i) for i in rng.permutation(n)]
    labels = make_labels(n)
    lines = "\n".join(
        CHOOSE_OPTION_LINE.render(label=labels[pos], text=render(options[i]))
        for pos, i in enumerate(shown)
    )
    messages = with_last_user(
        as_messages(prompt),
        lambda text: CHOOSE_OPTIONS.render(prompt=text, options=lines, example=labels[0]),
    )
    return messages, shown, labels


def read_choice(ask: Ask, reply: ProviderReply) -> tuple[int | None, dict[int, float] | None]:
    """(option index or None, {option index: probability} or None) from a reply."""
    assert ask.labels is not None and ask.shown is not None
    probs = None
    if ask.request.want_logprobs:
        probs = probabilities_from_logprobs(reply.label_logprobs, ask.labels)
    if probs is not None:
        probabilities = {ask.shown[pos]: p for pos, p in enumerate(probs)}
        return ask.shown[sample_index(probs, ask.u)], probabilities
    label = parse_label(reply.text, ask.labels)
    return (ask.shown[ask.labels.index(label)] if label is not None else None), None


def options_json(ask: Ask, picked: int | None) -> str:
    """CallRecord.options: the labels shown, which option sat at each position, the pick."""
    return json.dumps(
        {"labels": ask.labels, "shown": ask.shown, "relabel": ask.relabel, "picked": picked}
    )


def finish_choice(session: Session, ask: Ask, outcome: Outcome) -> Choice:
    """The Choice for an outcome (a reply naming no label is a "parse" failure), recorded."""
    index, probabilities = None, None
    if outcome.reply is not None:
        index, probabilities = read_choice(ask, outcome.reply)
        if index is None:
            error = f"reply names none of the labels {ask.labels}"
            outcome = replace(outcome, error_kind="parse", error=error)
    probs_json = (
        json.dumps({str(k): p for k, p in probabilities.items()}) if probabilities else None
    )
    record = session._record(
        ask, ask.request, outcome, options=options_json(ask, index), probabilities=probs_json
    )
    assert ask.options is not None
    return Choice(ask.options[index] if index is not None else None, index, probabilities, record)


# -- structured() -----------------------------------------------------------------------------


@functools.cache
def schema_text(schema: type[BaseModel]) -> str:
    """The schema's JSON text, built once per class (pydantic takes milliseconds per build)."""
    return json.dumps(schema.model_json_schema(), separators=(",", ":"))


def structured_messages(prompt: Prompt, schema: type[BaseModel]) -> tuple[Messages, dict[str, Any]]:
    text = schema_text(schema)
    json_schema = json.loads(text)  # a fresh dict per request: nothing shares one
    messages = with_last_user(
        as_messages(prompt),
        lambda shown: STRUCTURED_INSTRUCTION.render(prompt=shown, schema=text),
    )
    return messages, json_schema


def validate(schema: type[BaseModel], text: str) -> tuple[BaseModel | None, str]:
    """(instance, "") or (None, a short, version-independent description of what is wrong)."""
    start, end = text.find("{"), text.rfind("}")
    candidate = text[start : end + 1] if 0 <= start < end else text  # drop fences and chatter
    try:
        return schema.model_validate_json(candidate), ""
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        return None, f"{exc.error_count()} error(s) for {schema.__name__}: {problems}"


def repair_request(request: ProviderRequest, bad_reply: str, error: str) -> ProviderRequest:
    """The one repair round: the conversation so far, the bad reply, the validator's complaint."""
    return ProviderRequest(
        model=request.model,
        messages=[
            *request.messages,
            {"role": "assistant", "content": bad_reply},
            {"role": "user", "content": STRUCTURED_REPAIR.render(error=error)},
        ],
        temperature=request.temperature,
        max_tokens=request.max_tokens,
        json_schema=request.json_schema,
        draw=request.draw,
        extra=dict(request.extra),
    )


def call_record(
    ask: Ask,
    request: ProviderRequest,
    outcome: Outcome,
    path: str,
    run_id: str,
    options: str | None = None,
    probabilities: str | None = None,
) -> CallRecord:
    """The llm_calls.parquet row of one answered or failed request (cache hits and shared
    calls cost nothing)."""
    reply = outcome.reply
    free = outcome.cached or outcome.deduped
    return CallRecord(
        request_hash=outcome.key,
        verb=ask.verb,
        model=request.model,
        path=path,
        prompt=request.prompt_text(),
        reply=reply.text if reply else None,
        prompt_tokens=reply.prompt_tokens if reply else 0,
        completion_tokens=reply.completion_tokens if reply else 0,
        cost_usd=0.0 if free or reply is None else reply.cost_usd,
        latency_s=outcome.latency_s,
        attempts=outcome.attempts,
        cached=outcome.cached,
        error_kind=outcome.error_kind,
        error=outcome.error,
        draw=request.draw,
        temperature=request.temperature,
        options=options,
        probabilities=probabilities,
        run_id=run_id,
        step=int(ask.meta.get("step", -1)),
        agent_id=int(ask.meta.get("agent_id", -1)),
    )
