"""One simulated day of the feed kind at the paper's size (500 agents) on the scripted twin, end to
end (spec -> Parquet), against the same day without any LLM; the issue's target is under 60 s.

The day: `activity.steps_per_day` steps (4), synthetic ANES personas, the bundled synthetic news,
followed-engagement feeds of 10 posts, the twin's toxicity judge on every new post and comment.
By default every user is active in every step (`--rate 4`: four Twitter uses a day for the
personas without an answer, i.e. all synthetic ones), so the day is 2,000 actions: the heaviest
day the activity rule allows.

`full` is `simsocial.run` from the parsed spec to the committed run directory (gateway, cache,
llm_calls and every table written). `rules` is the same day without any LLM: the model's own
work alone (activity and news draws, ranking, prompts, applying and checking actions, the
`feeds` log, the E-I and out-party columns, offensive scores), with every ask answered by
replaying the answers `full` got, in order, so both arms make exactly the same day. Imports
(scikit-learn for the offensive score) are warmed before either is timed.

    python benchmarks/bench_feed_day.py [--n 500] [--rate 4] [--seed 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import simsocial
from simsocial.collect import collect_step
from simsocial.llm import get_gateway
from simsocial.scenarios.feed.model import FeedModel
from simsocial.scenarios.feed.toxicity import offensive_probs
from simsocial.spec import parse_scenario

NEWS = Path(__file__).parents[1] / "scenarios" / "data" / "synthetic_news.csv"
STEPS_PER_DAY = 4


def day_spec(out: Path, n: int, rate: float, seed: int) -> Any:
    return parse_scenario(
        {
            "name": "bench_feed_day",
            "kind": "feed",
            "seed": seed,
            "steps": STEPS_PER_DAY,
            "llm": {"model": "scripted/feed", "temperature": 0.7},
            "twitter": {
                "personas": {"synthetic_anes": {"n": n}},
                "activity": {"steps_per_day": STEPS_PER_DAY, "missing": rate},
                "news": str(NEWS),
            },
            "feed": {"ranker": "followed_engagement", "k": 10},
            "outputs": {"dir": str(out), "report": False},
        }
    )


def full_day(spec: Any) -> tuple[float, list[list[Any]], Any]:
    """simsocial.run end to end, recording every gather's answers."""
    recorded: list[list[Any]] = []
    original = FeedModel._gather

    def recording(self: FeedModel, asks: list[Any]) -> list[Any]:
        answers = original(self, asks)
        recorded.append(answers)
        return answers

    FeedModel._gather = recording  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        result = simsocial.run(spec)
        elapsed = time.perf_counter() - start
    finally:
        FeedModel._gather = original  # type: ignore[method-assign]
    assert result.status == "completed", result.manifest.get("error")
    return elapsed, recorded, result


def rules_day(spec: Any, recorded: list[list[Any]]) -> float:
    """The same day in the model alone: answers replayed, no gateway, no files."""
    replay = iter(recorded)
    session = get_gateway().session(spec.llm, run_id="bench-rules")
    start = time.perf_counter()
    model = FeedModel(spec, session)
    model._gather = lambda asks: next(replay)  # type: ignore[method-assign]
    model.drain_tables()
    model.step_index = -1
    collect_step(model)
    for step in range(spec.steps):
        model.step_index = step
        model.step()
        model.drain_tables()
        collect_step(model)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rate", type=float, default=float(STEPS_PER_DAY))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    offensive_probs(["warm up the offline model"])
    with tempfile.TemporaryDirectory() as root:
        spec = day_spec(Path(root), args.n, args.rate, args.seed)
        full, recorded, result = full_day(spec)
        rules = rules_day(spec, recorded)
        table = result.model
    last = table.iloc[-1]
    counts = result.manifest["feed_counts"]
    actions = sum(counts.get(k, 0) for k in ("post", "like", "comment", "repost", "follow"))
    actions += counts.get("nothing", 0)
    print(
        f"one day: {args.n} agents, {STEPS_PER_DAY} steps, {int(table['active'].sum())} "
        f"active user-steps, {actions} actions, {result.manifest['llm']['calls']} LLM calls"
    )
    print(
        f"  posts {last['posts']}, comments {last['comments']}, likes {last['likes']}, reposts "
        f"{last['reposts']}, follows {last['follows']}; E-I likes {last['ei_likes']:.3f}"
    )
    print(f"full (spec -> Parquet, scripted LLM): {full:6.2f} s   target < 60 s")
    print(f"rules alone (no LLM, answers replayed): {rules:6.2f} s")
    print(f"ratio full / rules: {full / rules:.2f}x")


if __name__ == "__main__":
    main()
