"""The live progress line of a run: steps, calls/s, tokens, cost and failures (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simsocial.llm import Session
    from simsocial.spec_models import ScenarioSpec


class ProgressLine:
    """A rich progress bar: steps, calls/s, tokens, cost and failures, refreshed live."""

    def __init__(self, spec: ScenarioSpec, session: Session, start: int):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        session_stats = session.stats

        class LLMColumn(TextColumn):
            def render(self, task: Any) -> Any:
                stats = session_stats()
                elapsed = max(1e-9, task.elapsed or 1e-9)
                calls = stats.get("calls", 0) + stats.get("cache_hits", 0)
                failures = sum(stats.get("failures_by_kind", {}).values())
                tokens = stats.get("prompt_tokens", 0) + stats.get("completion_tokens", 0)
                self.text_format = (
                    f"{calls / elapsed:,.1f} calls/s  {tokens:,} tok  "
                    f"${stats.get('cost_usd', 0.0):.4f}  {failures} failed  {task.fields['extra']}"
                )
                return super().render(task)

        self.progress = Progress(
            TextColumn(f"[bold]{spec.name}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            LLMColumn(""),
            TimeElapsedColumn(),
        )
        self.task = self.progress.add_task("steps", total=spec.steps, completed=start, extra="")
        self.progress.start()

    def advance(self, summary: dict[str, Any]) -> None:
        extra = " ".join(f"{k}={v}" for k, v in summary.items())
        self.progress.update(self.task, advance=1, extra=extra)

    def stop(self) -> None:
        self.progress.stop()
