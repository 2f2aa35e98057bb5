"""The `simsocial` command. Imports stay inside commands so `--help` answers instantly."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXAMPLES = """\
examples:
  simsocial scenarios                                  list scenario kinds and example files
  simsocial validate scenarios/opinion_dynamics.yaml   check a file; errors name file:line: key
  simsocial run scenarios/opinion_dynamics.yaml        run it; writes runs/<name>/<run-id>/
  simsocial run scenarios/opinion_dynamics.yaml --set llm.model="scripted/majority?beta=3" \\
      --set opinion.queries=50                         a deterministic dry run with overrides
  simsocial report runs/opinion_dynamics/<run-id>      rebuild report.html; --json prints metrics
  simsocial resume runs/opinion_dynamics/<run-id>      continue a killed run where it stopped
  simsocial schema > scenario.schema.json              JSON Schema for editor autocompletion
  simsocial sweep scenarios/sweeps/consensus_beta.yaml  variants x replicates -> sweep.parquet
  simsocial report runs/sweeps/consensus_vs_beta       effects vs baseline with bootstrap CIs
  simsocial branch runs/opinion_consensus/<run-id> --at 3 --n 8   fork a run: 8 futures from step 3

models: 'embedded/smollm2-135m' (default, offline), 'scripted/<policy>' (deterministic twin),
or any litellm model string ('openai/gpt-4o', 'anthropic/...', 'ollama/...', vLLM via llm.api_base).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simsocial",
        description="Agent-based social simulation with LLM-backed Mesa agents.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def overrides(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
            help="override a key of the file, e.g. --set seed=3 --set network.n=100 (repeatable)",
        )  # fmt: skip

    p = sub.add_parser("run", help="run a scenario file into a new run directory")
    p.add_argument("file", help="scenario YAML file")
    overrides(p)
    p.add_argument("--out", help="run directory to create (default runs/<name>/<run-id>)")
    p.add_argument(
        "--replay", action="store_true", help="answer only from the LLM cache; a miss is an error"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "validate", help="check a scenario file and report every problem with its line"
    )
    p.add_argument("file")
    overrides(p)

    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    p = sub.add_parser(
        "resume",
        help="continue an interrupted run from its last checkpoint (or finish a killed ending)",
    )
    p.add_argument("run_dir")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="change a run-control key, e.g. --set llm.budget.usd=5 continues a run that spent "
        "its budget (llm.budget, llm.timeout, llm.retries, llm.rate_limit, llm.api_base ...)",
    )  # fmt: skip
    p.add_argument(
        "--rewind", action="store_true",
        help="when a part file is damaged or missing, restart from the last checkpoint before "
        "it (the error names the step); rows after it are computed again",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "report", help="write report.html (and figures) for a run or a sweep directory"
    )
    p.add_argument("run_dir", help="a run directory, or a sweep directory (has sweep.parquet)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")

    p = sub.add_parser(
        "sweep", help="run every variant and replicate of a sweep file; writes sweep.parquet"
    )
    p.add_argument("file", help="sweep YAML file (see simsocial/sweeps.py or README)")
    p.add_argument(
        "--backend", choices=["threads", "processes", "ray"],
        help="threads: concurrent models on one gateway (LLM-bound; default); processes: a "
        "process pool (CPU-bound scripted runs); ray: Ray tasks (pip install 'simsocial[ray]')",
    )  # fmt: skip
    p.add_argument(
        "--ray-address", help="Ray cluster to join, e.g. ray://head:10001 (default: local Ray)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "branch", help="fork a run at a step into K branches (new seeds and/or --set changes)"
    )
    p.add_argument("run_dir", help="the parent run directory")
    p.add_argument(
        "--at", type=int, required=True, metavar="STEP",
        help="steps the branches share with the parent (they differ from step STEP on)",
    )  # fmt: skip
    p.add_argument("--n", type=int, default=1, metavar="K", help="number of branches (default 1)")
    overrides(p)
    p.add_argument(
        "--keep-seed", action="store_true",
        help="keep the parent's random state: branches differ only by the --set changes",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list scenario kinds and the example files")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("stopped.", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        message = _os_message(exc) if isinstance(exc, OSError) else str(exc)
        print(f"error: {message}" if "\n" not in message else f"error:\n{message}", file=sys.stderr)
        return 2 if type(exc).__name__ == "PreflightError" else 1


def _is_user_error(exc: Exception) -> bool:
    """Mistakes a user can fix get one line; a ProviderError that escapes the gateway means the
    model cannot be reached at all (e.g. the embedded extra is not installed)."""
    from simsocial.errors import SimsocialError
    from simsocial.llm.types import ProviderError

    return isinstance(exc, SimsocialError | ProviderError | OSError)


def _os_message(exc: OSError) -> str:
    """`cannot use PATH: Permission denied` rather than an errno tuple."""
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot use{where}: {exc.strerror or exc}"


def cmd_run(args: argparse.Namespace) -> int:
    import simsocial

    spec = simsocial.load_scenario(args.file, overrides=args.overrides)
    result = simsocial.run(spec, out=args.out, replay=args.replay, progress=not args.quiet)
    return _print_outcome(result.run_dir, result.status)


def cmd_resume(args: argparse.Namespace) -> int:
    from simsocial.runner import resume

    result = resume(
        args.run_dir, progress=not args.quiet, rewind=args.rewind, overrides=args.overrides
    )
    return _print_outcome(result.run_dir, result.status)


def _print_outcome(run_dir: Path, status: str) -> int:
    """The run's summary; exit 0 when it ended as planned (with failures within or beyond the
    tolerance, said in words), 1 when it failed, was interrupted, or --replay missed the cache."""
    from simsocial.analysis.report import summary_json
    from simsocial.llm.failures import describe_failures
    from simsocial.manifest import replay_misses
    from simsocial.store import ENDED

    summary = summary_json(run_dir)
    metrics = summary.get("metrics", {})
    print(f"run directory: {run_dir}")
    print(f"status: {status}")
    for warning in summary.get("warnings") or []:
        print(f"warning: {warning}", file=sys.stderr)
    if summary.get("error"):
        print(f"error: {summary['error']}", file=sys.stderr)
    llm = summary.get("llm", {})
    if llm:
        failures = sum(llm.get("failures_by_kind", {}).values())
        print(
            f"llm: {llm.get('calls', 0)} calls, {llm.get('cache_hits', 0)} cache hits, "
            f"{failures} failures, ${llm.get('cost_usd', 0.0):.4f}"
        )
        for line in describe_failures(llm):
            print(f"  {line}")
        if failures:
            _print_failure_reasons(run_dir)
    for line in summary.get("unfired") or []:
        print(f"  not fired: {line}")
    for key, value in metrics.items():
        if key != "verdict":
            print(f"  {key}: {value}")
    if "verdict" in metrics:
        print(metrics["verdict"])
    if (run_dir / "report.html").exists():
        print(f"report: {run_dir / 'report.html'}")
    if replay_misses(llm):
        print("error: --replay found requests missing from the cache (above)", file=sys.stderr)
        return 1
    return 0 if status in ENDED else 1


def _print_failure_reasons(run_dir: Path) -> None:
    """The commonest reasons calls failed, so a run that answered nothing says why."""
    import duckdb

    calls = run_dir / "llm_calls.parquet"
    if not calls.exists():
        return
    rows = duckdb.sql(
        f"SELECT error_kind, error, count(*) AS n FROM '{calls}' WHERE error_kind IS NOT NULL "
        "GROUP BY ALL ORDER BY n DESC LIMIT 3"
    ).fetchall()
    for kind, error, n in rows:
        print(f"  {n} x {kind}: {error}")


def cmd_sweep(args: argparse.Namespace) -> int:
    from simsocial.analysis.sweep_report import write_sweep_report
    from simsocial.sweeps import sweep

    result = sweep(
        args.file, progress=not args.quiet, backend=args.backend, ray_address=args.ray_address
    )
    table = result.table
    print(f"sweep directory: {result.sweep_dir}")
    print(
        f"runs: {len(table)}, "
        + ", ".join(f"{k}: {v}" for k, v in table.status.value_counts().items())
    )
    for row in table[table.error.notna()].itertuples():
        print(f"  {row.run} failed: {row.error}")
    print(f"table: {result.sweep_dir / 'sweep.parquet'}")
    print(f"report: {write_sweep_report(result.sweep_dir)}")
    return 0 if (table.status != "failed").all() else 1


def cmd_branch(args: argparse.Namespace) -> int:
    from simsocial.analysis.report import write_report
    from simsocial.branching import branch
    from simsocial.errors import SimsocialError
    from simsocial.store import ENDED

    if args.n < 1 or args.at < 1:
        raise SimsocialError("--n and --at must be at least 1")
    results = branch(
        args.run_dir, args.at, args.n, args.overrides,
        keep_seed=args.keep_seed, progress=not args.quiet,
    )  # fmt: skip
    for result in results:
        print(f"{result.status}: {result.run_dir}")
    print(f"report with the fan of branches: {write_report(Path(args.run_dir))}")
    return 0 if all(r.status in ENDED for r in results) else 1


def cmd_validate(args: argparse.Namespace) -> int:
    from simsocial.spec import load_scenario

    spec = load_scenario(args.file, overrides=args.overrides)
    print(f"{args.file}: ok ({spec.kind}, {spec.steps} steps, model {spec.llm.model})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simsocial.spec import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from simsocial.analysis.report import summary_json, write_report
    from simsocial.analysis.sweep_report import is_sweep_dir, sweep_summary, write_sweep_report

    if is_sweep_dir(args.run_dir):
        if args.json:
            print(json.dumps(sweep_summary(args.run_dir), indent=2, default=str))
        path = write_sweep_report(args.run_dir)
        print(f"report: {path}", file=sys.stderr if args.json else sys.stdout)
        return 0
    if args.json:
        print(json.dumps(summary_json(Path(args.run_dir)), indent=2, default=str))
    path = _report_of_run(Path(args.run_dir), write_report)
    print(f"report: {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _report_of_run(run_dir: Path, write_report: Any) -> Path:
    """Write the report; for a run that ended before its report was written (a kill), also
    record in its manifest that it now has one."""
    from simsocial.resuming import commit_report
    from simsocial.runlock import DirectoryLock
    from simsocial.store import RunStore

    store = RunStore(run_dir) if (run_dir / "manifest.json").exists() else None
    if store is None or store.read_manifest().get("report") != "pending":
        return write_report(run_dir)
    with DirectoryLock(run_dir):
        commit_report(store)
    return run_dir / "report.html"


def cmd_scenarios(args: argparse.Namespace) -> int:
    from simsocial.scenarios import KINDS

    print("kinds:")
    for kind in KINDS.values():
        print(f"  {kind.name:<12} {kind.summary}")
    examples = sorted(Path("scenarios").glob("*.yaml")) if Path("scenarios").is_dir() else []
    if examples:
        print("example files:")
        for path in examples:
            print(f"  {path}")
    sweeps = sorted(Path("scenarios/sweeps").glob("*.yaml"))
    if sweeps:
        print("example sweeps (simsocial sweep FILE):")
        for path in sweeps:
            print(f"  {path}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "resume": cmd_resume,
    "validate": cmd_validate,
    "schema": cmd_schema,
    "report": cmd_report,
    "scenarios": cmd_scenarios,
    "sweep": cmd_sweep,
    "branch": cmd_branch,
}

if __name__ == "__main__":
    sys.exit(main())
