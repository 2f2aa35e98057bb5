"""The report of one run: a self-contained report.html, PNG figures, and the metrics as a dict.

The report opens offline in any browser (figures are embedded as base64 PNG) and says what ran
(the network as built, the interventions as they fired), what it cost, what it found in one
sentence, and where the raw tables are. Every number sits beside a glossary line (meaning, unit,
source: simsocial.analysis.glossary). What to measure is the scenario kind's business:
`simsocial.scenarios.KINDS[kind].analysis` provides `summarize(run)`, `figures(run)`, optionally
`tables(run)` and `sections(run)` (titled HTML such as a forum's rendered threads), and
`GLOSSARY` for its metrics.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from simsocial.analysis.glossary import LLM, NETWORK, meaning
from simsocial.analysis.loader import Run, load_run
from simsocial.analysis.setting import intervention_rows, network_rows
from simsocial.faults import kill_point
from simsocial.store import utc_now

FILE_NOTES = {
    "manifest.json": "what ran: versions, seed, model, status, LLM accounting",
    "spec.yaml": "the resolved scenario (simsocial run spec.yaml runs it again)",
    "events.parquet": "every action: step, agent_id, kind, payload (JSON)",
    "llm_calls.parquet": "every LLM request: prompt, reply, tokens, cost, latency, error",
    "model.parquet": "one row per step: the scenario's model-level columns",
    "agents.parquet": "one row per step and agent",
    "graphs.parquet": "network snapshots as edge lists (step, source, target)",
    "checkpoint": "state for simsocial resume",
    "parts": "chunks of an unfinished run, not yet consolidated",
    "branches": "runs forked from this one (simsocial branch), each a run directory",
    "users.parquet": "the platform's users: user_id, name, persona, community, step joined",
    "posts.parquet": "every post, reply and share: post_id, thread_id, parent_id (-1: top), "
    "author, step, order in its thread, kind, text, shared_id, refs",
    "votes.parquet": "every vote: voter, post_id, value (+1 up, -1 down), step",
    "follows.parquet": "follow and unfollow actions: source, target, step, on",
    "figures": "this report's figures as PNG files",
    "report.html": "this report",
}
HEADER_KEYS = (
    "run_id", "scenario", "kind", "model", "temperature", "seed", "status", "started_at",
    "ended_at", "steps_done",
)  # fmt: skip


def analysis_module(run: Run) -> ModuleType | None:
    """The kind's analysis module (summarize, figures), or None for a kind without one."""
    from simsocial.scenarios import KINDS

    kind = KINDS.get(run.kind)
    return kind.load("analysis") if kind is not None else None


def summary_json(run_dir: str | Path) -> dict[str, Any]:
    """Manifest essentials, the LLM accounting and the kind's metrics, as JSON-ready values."""
    from simsocial.analysis.outcomes import final_values

    run = load_run(run_dir)
    module = analysis_module(run)
    return {
        **{key: run.manifest.get(key) for key in HEADER_KEYS},
        "error": run.manifest.get("error"),
        "run_dir": str(run.run_dir),
        "llm": run.manifest.get("llm") or {},
        "warnings": run.manifest.get("warnings") or [],
        "unfired": run.manifest.get("unfired") or [],
        "failures": run.manifest.get("failures") or [],
        "cache": run.manifest.get("cache") or {},
        "metrics": module.summarize(run) if module is not None else {},
        "custom_metrics": final_values(run),
    }


def write_report(run_dir: str | Path) -> Path:
    """Write run_dir/report.html and run_dir/figures/*.png; return the report's path."""
    import jinja2

    run = load_run(run_dir)
    module = analysis_module(run)
    metrics = module.summarize(run) if module is not None else {}
    figures = _save_figures(run, _figures(run, module))
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("simsocial.analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("report.html.j2").render(
        header={key: show_value(run.manifest.get(key)) for key in HEADER_KEYS},
        error=run.manifest.get("error"),
        verdict=metrics.get("verdict"),
        metrics=[
            *(
                (k, show_value(v), meaning(k, glossary(module)))
                for k, v in metrics.items()
                if k != "verdict"
            ),
            *((k, show_value(v), text) for k, v, text in custom_metrics(run)),
        ],
        no_metrics=_why_no_metrics(run, module),
        network=[(k, v, meaning(k, NETWORK)) for k, v in network_rows(run)],
        interventions=intervention_rows(run),
        figures=figures,
        tables=_tables(run, module),
        sections=_sections(run, module),
        llm=_llm_rows(run.manifest.get("llm") or {}),
        files=_files(run.run_dir),
        run_dir=str(run.run_dir),
        first_event_kind=_first_event_kind(run),
        version=run.manifest.get("versions", {}).get("simsocial", ""),
        written_at=utc_now(),
    )
    target = run.run_dir / "report.html"
    tmp = target.with_name("report.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    kill_point("report")
    os.replace(tmp, target)
    return target


def custom_metrics(run: Run) -> list[tuple[str, Any, str]]:
    """The scenario's own metrics (`metrics:` in its file): name, final value from
    model.parquet, and what it is, said from its definition."""
    from simsocial.analysis.outcomes import final_values

    defined = run.spec.get("metrics") or {}
    return [(name, value, _described(defined[name])) for name, value in final_values(run).items()]


def _described(spec: dict[str, Any]) -> str:
    if spec.get("hook"):
        return f"scenario metric: the Python hook `{spec['hook']}`; last model.parquet row"
    aggregate = next((k for k in ("mean", "sum", "count", "min", "max") if spec.get(k)), "?")
    where = f" over agents where `{spec['where']}`" if spec.get("where") else " over all agents"
    return (
        f"scenario metric: {aggregate} of `{spec.get(aggregate)}`{where}; final step, model.parquet"
    )


def glossary(module: ModuleType | None) -> dict[str, str]:
    """The kind's GLOSSARY (metric -> meaning, unit, source); empty for a kind without one."""
    return dict(getattr(module, "GLOSSARY", {})) if module is not None else {}


def _figures(run: Run, module: ModuleType | None) -> list[tuple[str, Any]]:
    """The kind's figures, and the fan of trajectories when the run has branches."""
    from simsocial.analysis.tree import fan_figure

    figures = list(module.figures(run)) if module is not None else []
    if (run.run_dir / "branches").is_dir():
        fan = fan_figure(run.run_dir)
        if fan is not None:
            figures.append(("branches_fan", fan))
    return figures


def _save_figures(run: Run, figures: list[tuple[str, Any]]) -> list[dict[str, str]]:
    from simsocial.analysis.plots import figure_png

    saved = []
    if figures:
        (run.run_dir / "figures").mkdir(exist_ok=True)
    for name, fig in figures:
        png = figure_png(fig)
        (run.run_dir / "figures" / f"{name}.png").write_bytes(png)
        saved.append({"name": name, "base64": base64.b64encode(png).decode("ascii")})
    return saved


def _tables(run: Run, module: ModuleType | None) -> list[dict[str, Any]]:
    """The kind's `tables(run)` (optional) as column names and rows of shown values."""
    if module is None or not hasattr(module, "tables"):
        return []
    return [
        {"title": title, "columns": list(frame.columns),
         "rows": [[show_value(v) for v in row] for row in frame.itertuples(index=False)]}
        for title, frame in module.tables(run)
    ]  # fmt: skip


def _sections(run: Run, module: ModuleType | None) -> list[dict[str, Any]]:
    """The kind's `sections(run)` (optional): a plain-text title, escaped by the template, and
    HTML the module built with every piece of run text escaped, shown as it is."""
    from markupsafe import Markup

    if module is None or not hasattr(module, "sections"):
        return []
    return [{"title": title, "html": Markup(body)} for title, body in module.sections(run)]


def _llm_rows(llm: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, value, meaning) of the manifest's LLM accounting."""
    rows = []
    for key, value in llm.items():
        if key == "failures_by_kind" and isinstance(value, dict):
            total = sum(int(v) for v in value.values())
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
            rows.append(("failures", f"{total} ({detail})" if total else "0"))
        elif key == "cost_usd" and isinstance(value, int | float):
            rows.append(("cost", f"${value:,.4f}"))
        else:
            rows.append((key, show_value(value)))
    return [(key, value, meaning(key, LLM)) for key, value in rows]


def _files(run_dir: Path) -> list[dict[str, str]]:
    listed = []
    for path in sorted(run_dir.iterdir()):
        if path.name.endswith(".tmp") or path.name.startswith("."):  # .lock: the writer's lock
            continue
        size = _size(path) if path.is_file() else f"{sum(1 for _ in path.rglob('*'))} files"
        name = path.name + ("/" if path.is_dir() else "")
        listed.append({"name": name, "size": size, "note": FILE_NOTES.get(path.name, "")})
    if not (run_dir / "report.html").exists():
        listed.append({"name": "report.html", "size": "", "note": FILE_NOTES["report.html"]})
    return listed


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


def show_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) >= 1e5 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _why_no_metrics(run: Run, module: ModuleType | None) -> str:
    if module is None:
        return f"no analysis is registered for kind {run.kind!r}"
    return "the run wrote no data to analyse"


def _first_event_kind(run: Run) -> str:
    if run.events.empty or "kind" not in run.events:
        return "reply"
    return str(run.events["kind"].iloc[0])
