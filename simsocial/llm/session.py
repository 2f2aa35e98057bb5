"""A session: one run's face of the gateway, with the four verbs.

Asks are *prepared* synchronously in the caller's thread, in call order: the draw index (how many
identical requests this run asked before), option shuffling and the uniform used to sample a
choice from log-probabilities are all fixed here. Execution is then concurrent, and results do
not depend on which call finishes first. Same seed + same cache = same outputs.

    asks = [session.ask_choose(prompt, ["k", "z"], rng=model.rng, relabel=False) for ...]
    answers = session.gather(asks)          # all calls in flight together

Embeddings are the fifth verb (`ask_embed`, see `simsocial.llm.embed_verb`). Scenario and mind
code never gathers itself: it yields asks in rounds and `SimModel` gathers (`simsocial.rounds`).

Every executed call leaves a `CallRecord` (drained by the store into llm_calls.parquet).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from simsocial.llm import embed_verb
from simsocial.llm.accounting import Pending, Stats, budget_reached
from simsocial.llm.asks import (
    Ask,
    Prompt,
    as_messages,
    call_record,
    choose_setup,
    finish_choice,
    repair_request,
    structured_messages,
    validate,
)
from simsocial.llm.breaker import CircuitBreaker
from simsocial.llm.cache import ResponseCache, resolve_cache_dir
from simsocial.llm.config import LLMConfig
from simsocial.llm.providers import canonical_model, route, supports_logprobs
from simsocial.llm.types import (
    CallRecord,
    Choice,
    Completion,
    Embedding,
    ProviderRequest,
    Structured,
)

if TYPE_CHECKING:
    from simsocial.llm.gateway import Gateway, Outcome

Answer = Completion | Choice | Structured | Embedding

__all__ = ["Ask", "Session"]


class Session:
    """Per run: draw counters, call records, stats and budget over a shared Gateway."""

    def __init__(
        self,
        gateway: Gateway,
        config: LLMConfig,
        *,
        run_id: str = "",
        cache_dir: Path | None = None,
        stream: int = 0,
    ):
        self.gateway = gateway
        self.stream = stream
        self.run_id = run_id
        self._cache_dir = cache_dir
        self._pinned: dict[str, LLMConfig] = {}
        self.stats_ = Stats()
        self.pending = Pending()  # the worst case of this session's calls in flight
        self.breaker = CircuitBreaker(config.breaker)
        self.budget_exhausted = False
        self.reconfigure(config)
        self._draws: dict[str, int] = {}
        self._records: list[CallRecord] = []
        self._record_asks: list[int] = []  # id() of the ask each record answers
        self._records_lock = threading.Lock()

    def reconfigure(self, config: LLMConfig) -> None:
        """Point the session at `config` (a new model string, temperature, ...), e.g. when an
        intervention changes `llm.*` mid-run; counters, records and stats carry on."""
        path = route(config.model, config.api_base)
        if path == "scripted":  # a typo in a policy should fail now, not on every call
            from simsocial.llm.scripted import ScriptedProvider

            ScriptedProvider(config.model)
        self.config = config
        self.path = path
        # an in-process provider with no simulated latency: asks run one after another
        self.instant = path == "scripted" and "latency=" not in config.model
        self.model = canonical_model(config.model)
        directory = resolve_cache_dir(config, path, self._cache_dir)
        self.cache: ResponseCache | None = self.gateway.open_cache(directory) if directory else None
        self.use_logprobs = _wants_logprobs(config)
        self._pinned.clear()  # pinned configs copy the session's keys: rebuild them on demand
        self.breaker.configure(config.breaker)
        self.budget_exhausted = budget_reached(config.budget, self.stats_) is not None

    @property
    def tripped(self) -> str | None:
        """Why the circuit breaker stopped this session's calls (one line), or None. The runner
        checks it after each step and stops the run as failed."""
        return self.breaker.tripped

    # -- preparing asks (caller's thread, deterministic) -----------------------------------------

    def pinned(self, model: str | None) -> LLMConfig | None:
        """The config for a model other than the session's (None for the session's own): the
        same keys with that model string, so one population can mix models in one run."""
        if model is None or model == self.config.model:
            return None
        config = self._pinned.get(model)
        if config is None:
            if route(model, self.config.api_base) == "scripted":
                from simsocial.llm.scripted import ScriptedProvider

                ScriptedProvider(model)  # a typo in a pinned policy fails when it is pinned
            config = self._pinned[model] = self.config.model_copy(update={"model": model})
        return config

    def _request(
        self,
        messages: list[dict[str, str]],
        temperature: float | None,
        max_tokens: int | None,
        pinned: LLMConfig | None = None,
        **kw: Any,
    ) -> tuple[ProviderRequest, str]:
        """The request with its draw index assigned, and its key."""
        request = ProviderRequest(
            model=canonical_model(pinned.model) if pinned is not None else self.model,
            messages=messages,
            temperature=self.config.temperature if temperature is None else temperature,
            max_tokens=self.config.max_tokens if max_tokens is None else max_tokens,
            **kw,
        )
        base = request.key()  # draw = 0 here: identical requests share this key
        if request.temperature == 0 or request.want_logprobs:
            return request, base  # deterministic: every draw is the same answer, no counter
        request.draw = self._draws.get(base, 0)
        self._draws[base] = request.draw + 1
        request.stream = self.stream
        return request, (base if request.draw == 0 and not self.stream else request.key())

    def ask_complete(
        self,
        messages: Prompt,
        *,
        system: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        meta: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> Ask:
        """Free text. Answer: Completion (text None on a recorded failure). `model` (optional)
        answers this ask with another model string, e.g. a persona's pinned one."""
        pinned = self.pinned(model)
        request, key = self._request(as_messages(messages, system), temperature, max_tokens, pinned)
        return Ask("complete", request, meta or {}, key=key, config=pinned)

    def ask_choose(
        self,
        prompt: Prompt,
        options: Sequence[Any],
        *,
        rng: np.random.Generator,
        relabel: bool = True,
        render: Callable[[Any], str] = str,
        meta: dict[str, Any] | None = None,
        temperature: float | None = None,
        model: str | None = None,
    ) -> Ask:
        """One of `options`. relabel=True shuffles them with `rng` and shows them as `a) ...`
        lines (template llm.choose_options); relabel=False means the prompt already shows them
        and `render(option)` is the label the model answers with. Answer: Choice.
        One uniform is always drawn from `rng`, so the caller's stream does not depend on
        whether log-probabilities are available."""
        messages, shown, labels = choose_setup(prompt, options, rng, relabel, render)
        pinned = self.pinned(model)
        logprobs = self.use_logprobs if pinned is None else _wants_logprobs(pinned)
        request, key = self._request(
            messages, temperature, None, pinned, choice_labels=labels, want_logprobs=logprobs
        )
        return Ask(
            "choose",
            request,
            meta or {},
            options=options,
            shown=shown,
            labels=labels,
            relabel=relabel,
            u=float(rng.random()),
            key=key,
            config=pinned,
        )

    def ask_structured(
        self,
        prompt: Prompt,
        schema: type[BaseModel],
        *,
        meta: dict[str, Any] | None = None,
        temperature: float | None = None,
        model: str | None = None,
    ) -> Ask:
        """A validated instance of `schema` (one repair round). Answer: Structured."""
        messages, json_schema = structured_messages(prompt, schema)
        pinned = self.pinned(model)
        request, key = self._request(messages, temperature, None, pinned, json_schema=json_schema)
        return Ask("structured", request, meta or {}, schema=schema, key=key, config=pinned)

    def ask_embed(self, texts: Sequence[str], *, meta: dict[str, Any] | None = None) -> Ask:
        """Unit-norm float32 rows for `texts` from `config.embedding_model`. Answer: Embedding."""
        return embed_verb.embed_ask(list(texts), self.config.embedding_model, meta)

    # -- running asks --------------------------------------------------------------------------

    def gather(
        self, asks: Sequence[Ask], progress: Callable[[int], None] | None = None
    ) -> list[Any]:
        """Answer all asks concurrently on the gateway loop; results in the order of `asks`.
        `progress(n_done)` is called from this thread as answers arrive."""
        if not asks:
            return []
        if self.gateway.on_loop_thread():
            raise RuntimeError("gather() blocks; on the gateway loop use `await session.run(ask)`")
        if any(embed_verb.is_local(ask) for ask in asks):  # answered here, the rest together
            return embed_verb.gather_split(self, asks, progress)
        done = [0]

        async def one(ask: Ask) -> Answer:
            try:
                return await self._run(ask)
            finally:
                done[0] += 1

        async def everything() -> list[Answer]:
            try:
                if self.instant and all(a.config is None and a.verb != "embed" for a in asks):
                    return [await one(ask) for ask in asks]
                return list(await asyncio.gather(*(one(ask) for ask in asks)))
            finally:
                if self.cache is not None:
                    self.cache.flush()

        with self._records_lock:
            first_record = len(self._records)
        future = self.gateway.submit(everything())
        try:
            if progress is None:
                return self._in_ask_order(asks, first_record, future.result())
            reported = -1
            while True:
                try:
                    results = future.result(timeout=0.1)
                except TimeoutError:
                    if done[0] != reported:
                        reported = done[0]
                        progress(reported)
                    continue
                progress(len(asks))
                return self._in_ask_order(asks, first_record, results)
        except BaseException:
            future.cancel()  # Ctrl-C in the caller stops the calls still in flight
            raise

    async def run(self, ask: Ask) -> Any:
        """Async face: answer one ask (from the gateway loop or any other event loop)."""
        if asyncio.get_running_loop() is self.gateway.loop:
            return await self._run(ask)
        return await asyncio.wrap_future(self.gateway.submit(self._run(ask)))

    def complete(self, messages: Prompt, **kw: Any) -> Completion:
        return self.gather([self.ask_complete(messages, **kw)])[0]

    def choose(self, prompt: Prompt, options: Sequence[Any], **kw: Any) -> Choice:
        return self.gather([self.ask_choose(prompt, options, **kw)])[0]

    def structured(self, prompt: Prompt, schema: type[BaseModel], **kw: Any) -> Structured:
        return self.gather([self.ask_structured(prompt, schema, **kw)])[0]

    def embed(self, texts: Sequence[str], **kw: Any) -> Embedding:
        return self.gather([self.ask_embed(texts, **kw)])[0]

    async def _run(self, ask: Ask) -> Answer:
        if embed_verb.is_local(ask):
            return embed_verb.answer_local(self, ask)
        outcome = await self.gateway.call(self, ask.request, ask.key or None, ask.config)
        if ask.verb == "embed":
            return embed_verb.finish(self, ask, outcome)
        if ask.verb == "choose":
            return finish_choice(self, ask, outcome)
        if ask.verb == "structured":
            return await self._finish_structured(ask, outcome)
        record = self._record(ask, ask.request, outcome)
        return Completion(outcome.reply.text if outcome.reply else None, record)

    async def _finish_structured(self, ask: Ask, outcome: Outcome) -> Structured:
        assert ask.schema is not None
        if outcome.reply is None:
            return Structured(None, self._record(ask, ask.request, outcome))
        value, error = validate(ask.schema, outcome.reply.text)
        if value is not None:
            return Structured(value, self._record(ask, ask.request, outcome))
        first = replace(outcome, error_kind="validation", error=f"{error} (repair requested)")
        self._record(ask, ask.request, first, final=False)
        repair = repair_request(ask.request, outcome.reply.text, error)
        second = await self.gateway.call(self, repair, config=ask.config)
        if second.reply is not None:
            value, error = validate(ask.schema, second.reply.text)
            if value is None:
                second = replace(
                    second, error_kind="validation", error=f"{error} (after one repair)"
                )
        return Structured(value, self._record(ask, repair, second))

    # -- records, stats, state ---------------------------------------------------------------------

    def _record(
        self,
        ask: Ask,
        request: ProviderRequest,
        outcome: Outcome,
        *,
        final: bool = True,
        options: str | None = None,
        probabilities: str | None = None,
    ) -> CallRecord:
        path = self.path if ask.config is None else route(ask.config.model, ask.config.api_base)
        record = call_record(ask, request, outcome, path, self.run_id, options, probabilities)
        return self.keep(record, final, ask)

    def _in_ask_order(self, asks: Sequence[Ask], first: int, results: list[Any]) -> list[Any]:
        """Put this gather's records in the order of its asks (they arrive in completion order,
        which depends on timing), so llm_calls.parquet is the same on every run and replay."""
        position = {id(ask): i for i, ask in enumerate(asks)}
        with self._records_lock:
            tail = list(zip(self._record_asks[first:], self._records[first:], strict=True))
            tail.sort(key=lambda pair: position.get(pair[0], len(asks)))  # stable: repairs stay
            self._record_asks[first:] = [ask for ask, _ in tail]
            self._records[first:] = [record for _, record in tail]
        return results

    def keep(self, record: CallRecord, final: bool, ask: Ask | None = None) -> CallRecord:
        """Add a record for llm_calls.parquet; a final failure is counted by kind."""
        with self._records_lock:
            self._records.append(record)
            self._record_asks.append(id(ask))
            if final and record.error_kind is not None:
                self.stats_.failures_by_kind[record.error_kind] += 1
        return record

    def replay_miss_message(self, request: ProviderRequest, key: str) -> str:
        where = self.cache.path if self.cache is not None else "(no cache)"
        start = request.prompt_text()[:120]
        return (
            f"replay-only: request {key} (model {request.model!r}, draw {request.draw}) is not in "
            f"the cache {where}; prompt starts {start!r}"
        )

    def drain_records(self) -> list[CallRecord]:
        """Records since the last drain: gather by gather, each in the order of its asks."""
        with self._records_lock:
            records, self._records, self._record_asks = self._records, [], []
        return records

    def stats(self) -> dict[str, Any]:
        with self._records_lock:
            return self.stats_.as_dict()

    def get_state(self) -> dict[str, Any]:
        """Picklable state for checkpoints: draw counters and stats."""
        return {
            "draws": dict(self._draws),
            "stats": self.stats(),
            "budget_exhausted": self.budget_exhausted,
            "saved_at": time.time(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Draws and stats carry over; whether the budget is exhausted is decided by the current
        config's budget, so a resume or branch with a larger budget continues. The breaker is not
        restored: a resumed run starts with it closed."""
        self._draws = dict(state["draws"])
        self.stats_ = Stats.from_dict(state["stats"])
        self.budget_exhausted = budget_reached(self.config.budget, self.stats_) is not None


def _wants_logprobs(config: LLMConfig) -> bool:
    return config.logprobs == "on" or (
        config.logprobs == "auto" and supports_logprobs(config.model, config.api_base)
    )
