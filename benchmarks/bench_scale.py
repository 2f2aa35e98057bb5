"""A million agents on one machine: decisions/s and peak memory from 10^3 to 10^6 agents.

Majority dynamics (opinion, experiment dynamics) on a Watts-Strogatz network (k = 10, p = 0.1),
one synchronous step against the scripted tanh policy (`scripted/majority`), end to end: the
spec is parsed, the network drawn, the agents asked, and every table committed to Parquet. Each N
runs in a fresh subprocess, so its peak resident memory (`ru_maxrss`) is its own. Target: at
least 3,000 decisions/s and under 8 GB at 10^6, i.e. a cost per decision flat in N.

    .venv/bin/python benchmarks/bench_scale.py                 # 10^3, 10^4, 10^5, 10^6
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 100000 --naming sequential
    .venv/bin/python benchmarks/bench_scale.py --profile 20000  # where the memory goes

`--naming sequential` shows every agent the same names (`agent0`, ...), so agents whose
neighbours hold the same opinions in the same order ask the identical question: the gateway
answers those with one call (de-duplication), which the table reports as calls saved.
`--profile N` prints the largest tracemalloc allocation sites at their peak for one run of N.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_RATE = 3000
TARGET_GB = 8.0


def spec_data(n: int, out: Path, naming: str, model: str, steps: int) -> dict[str, Any]:
    return {
        "name": "bench_scale",
        "kind": "opinion",
        "seed": 1,
        "steps": steps,
        "update": "synchronous",
        "llm": {"model": model},
        "network": {"generator": "watts_strogatz", "n": n, "params": {"k": 10, "p": 0.1}},
        "opinion": {"experiment": "dynamics", "naming": naming},
        "outputs": {"dir": str(out), "report": False},
    }


def child(n: int, naming: str, model: str, steps: int, profile: bool) -> dict[str, Any]:
    """One run in this process: wall time from spec to committed Parquet, peak memory."""
    import mesa  # noqa: F401  (its import is not per-decision cost)

    import simsocial
    from simsocial.spec import parse_scenario

    if profile:
        _trace_points()
    with tempfile.TemporaryDirectory() as tmp:
        cpu = _cpu_s()
        start = time.perf_counter()
        result = simsocial.run(parse_scenario(spec_data(n, Path(tmp), naming, model, steps)))
        wall = time.perf_counter() - start
        cpu = _cpu_s() - cpu
        llm = result.manifest["llm"]
        sizes = {p.stem: p.stat().st_size for p in result.run_dir.glob("*.parquet")}
    row = {
        "n": n,
        "status": result.status,
        "decisions": int(llm["calls"]) + int(llm["cache_hits"]) + int(llm["dedup_hits"]),
        "calls": int(llm["calls"]),
        "dedup_hits": int(llm["dedup_hits"]),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "parquet_mb": sum(sizes.values()) / 1024**2,
    }
    if profile:
        row["top"] = _PROFILE["lines"] + _top_sites()
    return row


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# tracemalloc at the points where a run holds the most: label -> MB traced, and the largest
_PROFILE: dict[str, Any] = {"lines": [], "best": 0, "snapshot": None}
POINTS = (
    ("simsocial.scenarios.opinion.model", "OpinionModel", "__init__"),
    ("simsocial.llm.session", "Session", "gather"),
    ("simsocial.collect", None, "collect_step"),
    ("simsocial.store", "RunStore", "add_rows"),
    ("simsocial.store", "RunStore", "add_graph"),
    ("simsocial.store", "RunStore", "save_checkpoint"),
    ("simsocial.parts", "ChunkedTable", "flush"),
    ("simsocial.parts", "ChunkedTable", "consolidate"),
)


def _trace_points() -> None:
    """Wrap the functions of POINTS to note traced memory as each returns, keeping the largest
    snapshot (a run's peak is while it steps or writes, not at its end)."""
    import importlib
    import tracemalloc

    tracemalloc.start(4)
    for module_name, owner_name, name in POINTS:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        original = getattr(owner, name)

        def wrapper(*args: Any, __original: Any = original, __label: str = name, **kw: Any) -> Any:
            result = __original(*args, **kw)
            current, _ = tracemalloc.get_traced_memory()
            rss = Path("/proc/self/statm").read_text().split()[1]
            _PROFILE["lines"].append(
                f"after {__label}: {current / 1e6:.0f} MB traced, "
                f"{int(rss) * resource.getpagesize() / 1e6:.0f} MB resident"
            )
            if current > _PROFILE["best"]:
                _PROFILE["best"] = current
                _PROFILE["snapshot"] = (__label, tracemalloc.take_snapshot())
            return result

        setattr(owner, name, wrapper)  # the runner imports collect_step at call time


def _top_sites(limit: int = 25) -> list[str]:
    """The allocation sites holding the most memory at the largest snapshot."""
    import tracemalloc

    label, snapshot = _PROFILE["snapshot"]
    _, peak = tracemalloc.get_traced_memory()
    snapshot = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    lines = [f"largest snapshot after {label}; traced peak {peak / 1e6:.0f} MB; by file:"]
    for stat in snapshot.statistics("filename")[:12]:
        lines.append(f"{stat.size / 1e6:8.1f} MB  {stat.traceback[0].filename}")
    lines.append("by line:")
    for stat in snapshot.statistics("lineno")[:limit]:
        frame = stat.traceback[0]
        lines.append(f"{stat.size / 1e6:8.1f} MB {stat.count:>9} blocks  {frame}")
    return lines


def measure(n: int, args: argparse.Namespace, profile: bool = False) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(n),
        "--naming",
        args.naming,
        "--model",
        args.model,
        "--steps",
        str(args.steps),
    ] + (["--profile", str(n)] if profile else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"N = {n} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**3, 10**4, 10**5, 10**6])
    parser.add_argument("--naming", choices=["random", "sequential"], default="random")
    parser.add_argument("--model", default="scripted/majority?beta=0.5")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--profile", type=int, default=None, help="tracemalloc one run of N")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        row = child(args.child, args.naming, args.model, args.steps, args.profile is not None)
        print(json.dumps(row))
        return
    if args.profile is not None:
        row = measure(args.profile, args, profile=True)
        print("\n".join(row.pop("top")))
        print(json.dumps(row))
        return
    print(
        f"opinion dynamics, Watts-Strogatz k = 10, {args.steps} synchronous step(s), "
        f"{args.model}, names {args.naming}; each N in a fresh process\n"
    )
    print("| N | decisions | calls | calls saved (dedup) | wall s | decisions/s | CPU s "
          "| decisions/CPU-s | peak GB | Parquet MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    last: dict[str, Any] = {}
    for n in args.sizes:
        last = measure(n, args)
        rate = last["decisions"] / last["wall_s"]
        print(
            f"| {n:,} | {last['decisions']:,} | {last['calls']:,} | {last['dedup_hits']:,} "
            f"| {last['wall_s']:.1f} | {rate:,.0f} | {last['cpu_s']:.1f} "
            f"| {last['decisions'] / last['cpu_s']:,.0f} | {last['peak_gb']:.2f} "
            f"| {last['parquet_mb']:.1f} |",
            flush=True,
        )
    rate = last["decisions"] / last["wall_s"]
    met = rate >= TARGET_RATE and last["peak_gb"] < TARGET_GB
    print(
        f"\ntarget at N = {last['n']:,}: >= {TARGET_RATE:,} decisions/s and < {TARGET_GB:g} GB "
        f"-> {'met' if met else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
