"""A local OpenAI-compatible server with configurable latency and injected faults.

Tests and benchmarks of the real network path talk to this instead of a paid API: it listens on
127.0.0.1 (a free port), speaks `/v1/chat/completions` and `/v1/embeddings`, answers
deterministically and counts what it received.

    with OpenAIServer(latency_s=0.2, faults={"429": 0.1, "hang": 0.05}) as server:
        config = LLMConfig(model="openai/test", api_base=server.base_url)

Faults, by rate (`faults={kind: probability}`, deterministic per request number) or by schedule
(`schedule=["429", None, "500"]` for the first requests): ``429``, ``500``, ``hang`` (no answer
until `hang_s` passes or the server stops: a client timeout), ``malformed`` (200 with a body that
is not JSON), ``truncated`` (200 with half a JSON body).

Whole-server modes, for what a run meets when its endpoint is wrong rather than flaky:
``status=401`` (or 403, 404, 500 ...) answers every request, `/v1/models` included, with that
status and an OpenAI-style error body; ``hang=True`` never answers a chat or embeddings request
(until `hang_s` or stop) while `/v1/models` still answers, like a server whose workers are stuck.
``models=["a", "b"]`` is the served model list: `/v1/models` lists it and a chat request for
another model gets 404 "model not found" (as vLLM does); without it `/v1/models` is a 404 (not
every server has it) and any model name is answered.

The reply to a chat request: a minimal valid JSON instance when a `json_schema` response format
is asked for; otherwise the first bracketed token of the last user message (`[a]`), else "ok".
With ``process=True`` the server runs in a child process, so a benchmark's client does not share
its interpreter (and GIL) with the server. ``capacity=k`` answers at most k requests at a time
(the rest wait their turn), like an inference server with k batch slots: one such server does at
most k / latency_s requests per second, which is what several endpoints are for.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import random
import re
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

FAULT_KINDS = ("429", "500", "hang", "malformed", "truncated")
_BRACKETED = re.compile(r"\[([^\[\]\s]{1,40})\]")
_OPTION_LINE = re.compile(r"^\s*(\w+)\)\s", re.MULTILINE)


def default_answer(body: dict[str, Any]) -> str:
    """The deterministic reply: schema instance, first bracketed token of the prompt, or 'ok'."""
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get(
        "schema"
    )
    if schema:
        from simsocial.llm.scripted import minimal_instance

        return json.dumps(minimal_instance(schema))
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    text = str(users[-1].get("content") or "") if users else ""
    match = _BRACKETED.search(text)
    return f"[{match.group(1)}]" if match else "ok"


def _logprobs(answer: str, prompt: str, top: int) -> dict[str, Any]:
    """Token logprobs in OpenAI's shape: the answer label gets 0.6, other labels share 0.4."""
    label = answer.strip("[]")
    others = [x for x in dict.fromkeys(_OPTION_LINE.findall(prompt)) if x != label][
        : max(top - 1, 0)
    ]
    head = [{"token": label, "logprob": math.log(0.6 if others else 1.0)}]
    rest = [{"token": x, "logprob": math.log(0.4 / len(others))} for x in others]
    entry = {"token": label, "logprob": head[0]["logprob"], "top_logprobs": head + rest}
    if answer.startswith("["):
        bracket = {"token": "[", "logprob": 0.0, "top_logprobs": [{"token": "[", "logprob": 0.0}]}
        close = {"token": "]", "logprob": 0.0, "top_logprobs": [{"token": "]", "logprob": 0.0}]}
        return {"content": [bracket, entry, close]}
    return {"content": [entry]}


class OpenAIServer:
    """Context manager: starts on enter (thread or child process), stops cleanly on exit."""

    def __init__(
        self,
        latency_s: float = 0.0,
        faults: dict[str, float] | None = None,
        schedule: Sequence[str | None] | None = None,
        *,
        hang_s: float = 3600.0,
        seed: int = 0,
        answer: Callable[[dict[str, Any]], str] = default_answer,
        process: bool = False,
        port: int = 0,
        status: int | None = None,
        hang: bool = False,
        models: Sequence[str] | None = None,
        capacity: int | None = None,
    ):
        faults = dict(faults or {})
        unknown = set(faults) | {x for x in schedule or () if x is not None}
        unknown -= set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if sum(faults.values()) > 1:
            raise ValueError("fault rates add up to more than 1")
        self.latency_s = latency_s
        self.faults = faults
        self.schedule = list(schedule or [])
        self.hang_s = hang_s
        self.seed = seed
        self.answer = answer
        self.process = process
        self.port = port
        self.status = status
        self.hang = hang
        self.models = list(models) if models is not None else None
        self.capacity = capacity
        self._slots: asyncio.Semaphore | None = None
        self.counts: Counter[str] = Counter()  # outcome kind -> requests ("ok", "429", ...)
        self._received = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._child: subprocess.Popen[str] | None = None

    # -- public face ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        """Requests received so far (chat and embeddings), whatever their fate."""
        if self._child is not None:
            return int(self.stats()["requests"])
        return self._received

    def stats(self) -> dict[str, Any]:
        if self._child is None:
            return {"requests": self._received, "counts": dict(self.counts)}
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            return json.loads(reply.read())

    def __enter__(self) -> OpenAIServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.process:
            self._start_child()
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="openai-server", daemon=True
        )
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.serve(), self._loop).result(timeout=30)

    def stop(self) -> None:
        """Stop serving: hanging requests are released, the port is closed, the thread joins."""
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None
            return
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    # -- serving --------------------------------------------------------------------------------

    async def serve(self) -> int:
        """Start listening on the running loop; returns the port."""
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(self.capacity) if self.capacity else None
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=4096)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _fault(self, number: int) -> str | None:
        if number < len(self.schedule):
            return self.schedule[number]
        if not self.faults:
            return None
        u = random.Random(f"{self.seed}:{number}").random()
        for kind, rate in self.faults.items():
            if u < rate:
                return kind
            u -= rate
        return None

    def _refusal(self) -> web.Response | None:
        """The whole-server `status` answer, when one is set."""
        if self.status is None:
            return None
        self.counts[str(self.status)] += 1
        error = {"message": f"test server answers HTTP {self.status}", "code": self.status}
        return web.json_response({"error": error}, status=self.status)

    async def _hang(self) -> web.Response:
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.hang_s)
        return web.json_response({"error": {"message": "hung"}}, status=503)

    async def _chat(self, request: web.Request) -> web.Response:
        number = self._received
        self._received += 1
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        fault = "hang" if self.hang else self._fault(number)
        try:
            body = await request.json()
        except ValueError:
            self.counts["bad_request"] += 1
            return web.json_response({"error": {"message": "body is not JSON"}}, status=400)
        if self.models is not None and body.get("model") not in self.models:
            self.counts["not_found"] += 1
            error = {"message": f"The model `{body.get('model')}` does not exist.", "code": 404}
            return web.json_response({"error": error}, status=404)
        if fault == "hang":
            self.counts["hang"] += 1
            return await self._hang()
        if self._slots is not None:
            async with self._slots:
                await asyncio.sleep(self.latency_s)
        elif self.latency_s:
            await asyncio.sleep(self.latency_s)
        self.counts[fault or "ok"] += 1
        if fault == "429":
            error = {"error": {"message": "rate limited", "type": "rate_limit_exceeded"}}
            return web.json_response(error, status=429)
        if fault == "500":
            return web.json_response({"error": {"message": "internal error"}}, status=500)
        payload = self._completion(body)
        if fault == "malformed":
            return web.Response(text="<html>upstream error</html>", content_type="application/json")
        text = json.dumps(payload)
        if fault == "truncated":
            return web.Response(text=text[: len(text) // 2], content_type="application/json")
        return web.Response(text=text, content_type="application/json")

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.answer(body)
        prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": answer},
            "finish_reason": "stop",
            "logprobs": None,
        }
        if body.get("logprobs"):
            choice["logprobs"] = _logprobs(answer, prompt, int(body.get("top_logprobs") or 5))
        return {
            "id": "chatcmpl-"
            + hashlib.blake2b(json.dumps(body).encode(), digest_size=8).hexdigest(),
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "test"),
            "choices": [choice],
            "usage": {
                "prompt_tokens": len(prompt) // 4 + 1,
                "completion_tokens": len(answer) // 4 + 1,
                "total_tokens": len(prompt) // 4 + len(answer) // 4 + 2,
            },
        }

    async def _embeddings(self, request: web.Request) -> web.Response:
        self._received += 1
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        if self.hang:
            self.counts["hang"] += 1
            return await self._hang()
        self.counts["embeddings"] += 1
        body = await request.json()
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        data = []
        for i, text in enumerate(texts):
            digest = hashlib.blake2b(str(text).encode(), digest_size=32).digest()
            data.append(
                {"object": "embedding", "index": i, "embedding": [b / 255 - 0.5 for b in digest]}
            )
        usage = {"prompt_tokens": sum(len(str(t)) // 4 + 1 for t in texts)}
        usage["total_tokens"] = usage["prompt_tokens"]
        return web.json_response(
            {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
        )

    async def _models(self, request: web.Request) -> web.Response:
        self.counts["models"] += 1
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        if self.models is None:
            return web.json_response({"error": {"message": "no model list here"}}, status=404)
        data = [{"id": name, "object": "model"} for name in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"requests": self._received, "counts": dict(self.counts)})

    # -- child process ---------------------------------------------------------------------------

    def _start_child(self) -> None:
        command = [
            sys.executable, "-c", "from simsocial.testing.openai_server import main; main()",
            "--latency", str(self.latency_s), "--faults", json.dumps(self.faults),
            "--schedule", json.dumps(self.schedule), "--hang", str(self.hang_s),
            "--seed", str(self.seed), "--port", str(self.port),
            "--status", str(self.status or 0), "--models", json.dumps(self.models),
            "--capacity", str(self.capacity or 0),
        ] + (["--hang-all"] if self.hang else [])  # fmt: skip
        self._child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the OpenAI test server did not start (said {line!r})")
        self.port = int(line.split()[1])


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server in the foreground (used by `process=True`); prints `PORT <n>` when ready."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--faults", default="{}")
    parser.add_argument("--schedule", default="[]")
    parser.add_argument("--hang", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, default=0, help="answer everything with it")
    parser.add_argument("--hang-all", action="store_true", help="never answer a chat request")
    parser.add_argument("--models", default="null", help="JSON list of served model names")
    parser.add_argument("--capacity", type=int, default=0, help="requests answered at once")
    args = parser.parse_args(argv)
    server = OpenAIServer(
        args.latency, json.loads(args.faults), json.loads(args.schedule),
        hang_s=args.hang, seed=args.seed, port=args.port, status=args.status or None,
        hang=args.hang_all, models=json.loads(args.models), capacity=args.capacity or None,
    )  # fmt: skip

    async def run() -> None:
        server.port = await server.serve()
        print(f"PORT {server.port}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.shutdown()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
