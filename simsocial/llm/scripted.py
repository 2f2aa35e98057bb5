"""The scripted provider: deterministic policies with known answers, for tests and dry runs.

Model string: ``scripted/<policy>[?k=v&k2=v2]``. Every LLM experiment gets a twin whose correct
result is known, so the analysis can be checked end to end without a model.

Policies (what they answer to a choice between `labels`):

- ``fixed``    ``answer=<label or option text>`` (default: the first label; an answer naming no
  option is replied verbatim, to test parse failures); ``text=`` is what complete() answers.
- ``random``   uniform over the labels.
- ``majority`` ``beta=<float>`` (default 1): the prompt lists ``<name>: <opinion>`` lines; with
  ``m_x = (n_x - n_others) / n`` per label, ``P(x) ∝ (1 + tanh(beta * m_x)) / 2``. With two
  labels this is exactly ``P(A) = (1 + tanh(beta * m)) / 2`` (De Marzo et al.).
- ``degree``   the prompt lists candidates as ``<label>) <name> (followers: <k>)`` or
  ``<name> (followers: <k>)``; ``P ∝ k + offset`` (``offset``, default 1): preferential attachment.
- ``echo``     complete() returns the last user message.
- ``gossip``   ``about=<keyword>``, ``p=<prob>`` (default 0.5): the agent *knows* when a bulleted
  line (``- ...``) of the prompt contains the keyword. complete(): a knower passes it on with
  probability p (``Did you hear? <that line>``), anyone else answers ``text``; a choice between
  yes and no answers truthfully (yes iff it knows). Structured replies: a list of integers rates
  each numbered memory (``1. <text>``): 9 if it names the keyword, else 2 + one per 10 words,
  at most 5 (importance, so reflection fires once news piles up); a list of strings lists the
  ``<name>`` of every ``- <name>: <text>`` line whose text is not ``(nothing)`` (acquaintances),
  or, for a prompt of ``[id] <text>`` statements, one question about the keyword (reflection);
  a list of ``text``/``evidence`` objects gives one insight restating the newest statement that
  names the keyword (else the newest one) and citing those statements.
  The information-diffusion twin: a known spreading probability per telling.
- ``forum``    ``bad=<n>``: the SimReddit twin (simsocial.llm.scripted_forum): unique persona
  lines, hashed posts and replies, a judge that flags only uncivil text, uniform votes.
- ``taste``    ``likes=<word,...>``: the media audience twin (simsocial.media.scripted_taste): a
  like/skip choice is ``like`` iff the ``Image:`` line names a taste word.
- ``feed``     ``like_same=``, ``like_diff=``, ``comment_same=`` ... (simsocial.llm.scripted_feed):
  the Törnberg-feed twin, whose likes and comments depend only on whether author and reader
  share a party; its toxicity judge scores the uncivil marker. Structured replies only.
- ``survey``   ``a=<p>`` (default 1), ``when=<text>&a_when=<p>``: the survey respondent twin
  (simsocial.llm.scripted_survey): the true answer the prompt states with probability a (a_when
  for prompts containing the text), else uniform; uniform when no answer is stated.

Without `choice_labels` (a plain complete()), majority and degree infer the labels from the prompt
and answer ``[label]``; other policies answer ``text`` (default "ok"). A JSON-schema request gets
a minimal valid instance of the schema. Common parameters: ``fail=<p>`` (each attempt fails with
a retryable "server" error with probability p), ``latency=<seconds>``, ``invalid=first|always``
(structured replies are not JSON on the first try / always).

Randomness is a uniform hashed from the request key (which includes the draw index
at temperature > 0), so identical requests give identical answers in every run and process.
Label log-probabilities are returned when asked, so choose() can use the one-call distribution.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import numpy as np

from simsocial.llm import scripted_feed, scripted_forum, scripted_survey
from simsocial.llm.prompts import STRUCTURED_REPAIR
from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest
from simsocial.media import scripted_taste

POLICIES = (
    "fixed",
    "random",
    "majority",
    "degree",
    "echo",
    "gossip",
    "forum",
    "survey",
    "feed",
    "taste",
)
_COMMON = {"fail", "latency", "invalid", "text"}
_PARAMS = {
    "fixed": {"answer"},
    "random": set(),
    "majority": {"beta"},
    "degree": {"offset"},
    "echo": set(),
    "gossip": {"about", "p"},
    "forum": scripted_forum.PARAMS,
    "survey": scripted_survey.PARAMS,
    "feed": scripted_feed.PARAMS,
    "taste": scripted_taste.PARAMS,
}
_OPINION_LINES = re.compile(r"^[ \t]*[^:\n]{1,80}?[ \t]*:[ \t]*(\S+)[ \t]*$", re.MULTILINE)
_OPTION_LINES = re.compile(r"^[ \t]*(\w+)\)[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_CANDIDATE_LINE = re.compile(r"^\s*(?:(\w+)\)\s+)?(.+?)\s*\(followers:\s*(\d+)\)", re.IGNORECASE)
_TOKEN_STRIP = "[](){}<>\"'`.,;:!?* "
_BULLET = re.compile(r"^[ \t]*- (.+?)[ \t]*$", re.MULTILINE)
_KNOWN_LINE = re.compile(r"^[ \t]*- ([^:\n]+?):[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_NUMBERED = re.compile(r"^[ \t]*\d+\. (.+?)[ \t]*$", re.MULTILINE)
_STATEMENT = re.compile(r"^\[(\d+)\] (.+?)[ \t]*$", re.MULTILINE)


def _seed(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _uniform(*parts: object) -> float:
    """A deterministic uniform in [0, 1) from the parts (cheaper than seeding a Generator)."""
    return _seed(*parts) / 2.0**64


def _pick(probs: np.ndarray, u: float) -> int:
    """Inverse-CDF draw of an index from `probs` with the uniform `u`."""
    target = u * float(sum(probs))
    for i, cumulative in enumerate(itertools.accumulate(float(p) for p in probs)):
        if target < cumulative:
            return i
    return len(probs) - 1


def _fold(text: str) -> str:
    return text.strip(_TOKEN_STRIP).casefold()


class ScriptedProvider:
    """In-process, deterministic, free; see the module docstring for policies and parameters."""

    path = "scripted"
    supports_logprobs = True

    def __init__(self, model: str):
        spec = model.split("/", 1)[1] if "/" in model else model
        policy, _, query = spec.partition("?")
        if policy not in POLICIES:
            raise ValueError(
                f"unknown scripted policy {policy!r} in {model!r}; choose from {POLICIES}"
            )
        params = dict(parse_qsl(query, keep_blank_values=True))
        unknown = set(params) - _COMMON - _PARAMS[policy]
        if unknown:
            allowed = sorted(_COMMON | _PARAMS[policy])
            raise ValueError(
                f"scripted/{policy} does not take {sorted(unknown)}; it takes {allowed}"
            )
        self.model = model
        self.policy = policy
        self.params = params
        self.fail = float(params.get("fail", 0.0))
        self.latency = float(params.get("latency", 0.0))
        self.invalid = params.get("invalid")
        if self.invalid not in (None, "first", "always"):
            raise ValueError(f"scripted invalid= must be 'first' or 'always', not {self.invalid!r}")
        if policy == "gossip" and not params.get("about", "").strip():
            raise ValueError(f"scripted/gossip needs about=<keyword> in {model!r}")
        if policy == "feed":
            scripted_feed.rates(params)  # a bad rate fails now, not on every call
        if policy == "survey":
            scripted_survey.check(params)
        self._attempts: Counter[str] = Counter()
        # answers without ever waiting, so the gateway skips its timeout and semaphore
        self.instant = not self.latency

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        key = request.key()
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.fail:
            self._attempts[key] += 1
            if _uniform(key, "fail", self._attempts[key]) < self.fail:
                raise ProviderError("server", f"scripted fault injection (fail={self.fail})")
        prompt = "\n".join(str(m.get("content") or "") for m in request.messages)
        label_logprobs = None
        if request.json_schema is not None:
            text = self._structured_text(request)
        elif self.policy == "forum":
            text, label_logprobs = scripted_forum.answer(
                request, key, prompt, self.params, self.invalid
            )
        elif self.policy == "survey" and request.choice_labels:
            text, label_logprobs = scripted_survey.answer(
                request.choice_labels, prompt, self.params, _uniform(key), request.want_logprobs
            )
        elif self.policy == "taste":
            text, label_logprobs = scripted_taste.answer(request, key, prompt, self.params)
        elif self.policy == "gossip" and not request.choice_labels:
            told = self._gossip_line(prompt)
            p = float(self.params.get("p", 0.5))
            text = f"Did you hear? {told}" if told and _uniform(key, "tell") < p else None
            text = text or self.params.get("text", "ok")
        else:
            labels = request.choice_labels or self._infer_labels(prompt)
            free_answer = self.policy == "fixed" and "answer" in self.params
            if (
                labels
                and free_answer
                and self._resolve(self.params["answer"], labels, prompt) is None
            ):
                text = self.params["answer"]  # not an option: answered verbatim (parse failures)
            elif labels:
                probs = self.probabilities(labels, prompt)
                pick = _pick(probs, _uniform(key))
                text = f"[{labels[pick]}]"
                if request.want_logprobs:
                    label_logprobs = {
                        lb: math.log(p) for lb, p in zip(labels, probs, strict=True) if p > 0
                    }
            elif self.policy == "echo":
                text = next(
                    (str(m["content"]) for m in reversed(request.messages) if m["role"] == "user"),
                    "",
                )
            else:
                text = self.params.get("text", "ok")
        return ProviderReply(
            text=text,
            prompt_tokens=len(prompt) // 4 + 1,
            completion_tokens=len(text) // 4 + 1,
            label_logprobs=label_logprobs,
        )

    async def embed(self, texts: list[str]) -> np.ndarray:
        from simsocial.llm.embeddings import make_embedder

        return await make_embedder("hash").embed(texts)

    async def aclose(self) -> None:
        return None

    # -- policies -------------------------------------------------------------------------------

    def probabilities(self, labels: list[str], prompt: str) -> np.ndarray:
        """The policy's distribution over `labels` for this prompt (the known answer)."""
        n = len(labels)
        if self.policy == "fixed":
            target = self._resolve(self.params.get("answer", labels[0]), labels, prompt)
            probs = np.zeros(n)
            probs[labels.index(target) if target is not None else 0] = 1.0
            return probs
        if self.policy == "majority":
            return self._majority(labels, prompt)
        if self.policy == "degree":
            return self._degree(labels, prompt)
        if self.policy == "gossip":
            folded = [_fold(label) for label in labels]
            want = "yes" if self._gossip_line(prompt) else "no"
            probs = np.zeros(n)
            probs[folded.index(want) if want in folded else (0 if want == "yes" else n - 1)] = 1
            return probs
        return np.full(n, 1.0 / n)

    def _gossip_line(self, prompt: str) -> str | None:
        """The first bulleted line mentioning the `about` keyword: what a knower passes on."""
        keyword = self.params["about"].casefold()
        return next((b for b in _BULLET.findall(prompt) if keyword in b.casefold()), None)

    def _majority(self, labels: list[str], prompt: str) -> np.ndarray:
        # plain Python: for a handful of labels numpy's per-call overhead dominates
        beta = float(self.params.get("beta", 1.0))
        names = self._label_names(labels, prompt)
        counts = [0] * len(labels)
        for opinion, seen in Counter(_OPINION_LINES.findall(prompt)).items():
            folded = _fold(opinion)
            if folded in names:
                counts[names[folded]] += seen
        total = sum(counts)
        if total == 0:
            return np.full(len(labels), 1.0 / len(labels))
        weights = [(1.0 + math.tanh(beta * (2 * c - total) / total)) / 2.0 for c in counts]
        norm = sum(weights)
        return np.array([w / norm for w in weights])

    def _degree(self, labels: list[str], prompt: str) -> np.ndarray:
        offset = float(self.params.get("offset", 1.0))
        index = {label: i for i, label in enumerate(labels)}
        folded = {_fold(label): i for i, label in enumerate(labels)}
        followers = np.zeros(len(labels))
        for line in prompt.splitlines():
            match = _CANDIDATE_LINE.match(line)
            if not match:
                continue
            label, name, k = match.group(1), match.group(2), int(match.group(3))
            i = index.get(label) if label else None
            if i is None:
                i = folded.get(_fold(name))
            if i is not None:
                followers[i] = k
        weights = followers + offset
        if weights.sum() <= 0:
            return np.full(len(labels), 1.0 / len(labels))
        return weights / weights.sum()

    def _label_names(self, labels: list[str], prompt: str) -> dict[str, int]:
        """Folded names each label goes by: itself, and the option text shown as `label) text`."""
        names = {_fold(label): i for i, label in enumerate(labels)}
        index = {label: i for i, label in enumerate(labels)}
        for label, text in _OPTION_LINES.findall(prompt):
            if label in index:
                names.setdefault(_fold(text), index[label])
        return names

    def _resolve(self, answer: str, labels: list[str], prompt: str) -> str | None:
        """The label an answer names (directly or by option text), or None."""
        i = self._label_names(labels, prompt).get(_fold(answer))
        return labels[i] if i is not None else None

    def _infer_labels(self, prompt: str) -> list[str]:
        """Labels of a plain complete(): the opinions listed (majority) or candidates (degree)."""
        if self.policy == "majority":
            seen: dict[str, None] = {}
            for opinion in _OPINION_LINES.findall(prompt):
                if len(_fold(opinion)) <= 3:
                    seen.setdefault(opinion.strip(_TOKEN_STRIP), None)
            return sorted(seen)
        if self.policy == "degree":
            found = [m for line in prompt.splitlines() if (m := _CANDIDATE_LINE.match(line))]
            return [m.group(1) or m.group(2) for m in found]
        return []

    def _structured_text(self, request: ProviderRequest) -> str:
        repairing = any(
            STRUCTURED_REPAIR.text.split("{", 1)[0] in str(m.get("content") or "")
            for m in request.messages
        )
        if self.invalid == "always" or (self.invalid == "first" and not repairing):
            return "Sure! Here is the answer: {not json"
        assert request.json_schema is not None
        if self.policy == "feed":
            prompt = "\n".join(str(m.get("content") or "") for m in request.messages)
            found = scripted_feed.structured(request.key(), prompt, self.params)
            if found is not None:
                return found
        if self.policy == "gossip":
            prompt = "\n".join(str(m.get("content") or "") for m in request.messages)
            reply = self._gossip_structured(request.json_schema, prompt)
            if reply is not None:
                return json.dumps(reply)
        return json.dumps(minimal_instance(request.json_schema))

    def _gossip_structured(self, schema: dict[str, Any], prompt: str) -> dict[str, Any] | None:
        """The gossip twin's answer to a schema with one list field (see the module docstring);
        None for other schemas, which get the minimal instance."""
        lists = {k: v for k, v in schema.get("properties", {}).items() if v.get("type") == "array"}
        if len(lists) != 1:
            return None
        ((key, field),) = lists.items()
        items = field.get("items", {})
        if "$ref" in items:
            items = schema.get("$defs", {}).get(items["$ref"].rsplit("/", 1)[-1], {})
        keyword = self.params["about"].casefold()
        statements = _STATEMENT.findall(prompt)
        if items.get("type") == "integer":
            value: list[Any] = [self._gossip_rating(t, keyword) for t in _NUMBERED.findall(prompt)]
        elif items.get("type") == "string" and statements:
            value = [f"What do people say about {self.params['about']}?"]
        elif items.get("type") == "string":
            value = [n for n, t in _KNOWN_LINE.findall(prompt) if t.strip() != "(nothing)"]
        elif {"text", "evidence"} <= set(items.get("properties", {})) and statements:
            news = [(int(i), t) for i, t in statements if keyword in t.casefold()]
            cited = news or [(int(statements[-1][0]), statements[-1][1])]
            value = [{"text": f"On reflection: {cited[-1][1]}", "evidence": [i for i, _ in cited]}]
        else:
            return None
        return {**minimal_instance(schema), key: value}

    @staticmethod
    def _gossip_rating(text: str, keyword: str) -> int:
        """9 for a memory naming the keyword, else 2 + one per 10 words, at most 5."""
        return 9 if keyword in text.casefold() else min(5, 2 + len(text.split()) // 10)


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A small value that validates against a JSON Schema (the subset pydantic emits)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return minimal_instance(root.get("$defs", {}).get(name, {}), root)
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"] or schema[
                combinator
            ]
            return minimal_instance(options[0], root)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return minimal_instance(merged, root)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: minimal_instance(props.get(name, {}), root) for name in schema.get("required", [])
        }
    if kind == "array":
        item = minimal_instance(schema.get("items", {}), root)
        return [item] * int(schema.get("minItems", 0))
    if kind == "string":
        fmt = schema.get("format")
        if fmt in ("date-time", "date", "time"):
            return {"date-time": "2000-01-01T00:00:00Z", "date": "2000-01-01", "time": "00:00:00"}[
                fmt
            ]
        text = "text"
        text = text * (int(schema.get("minLength", 0)) // len(text) + 1)
        return text[
            : max(int(schema.get("minLength", 0)), min(len("text"), schema.get("maxLength", 4)))
        ]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        value: float = 0 if low is None else low + (1 if "exclusiveMinimum" in schema else 0)
        high = schema.get("maximum")
        if high is not None and value > high:
            value = high
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    return None
