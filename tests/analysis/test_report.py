"""report.html is self-contained and says what ran, what it cost and what it found."""

from __future__ import annotations

import base64
import html
import json
from html.parser import HTMLParser

from simsocial.analysis import load_run, summary_json, write_report
from simsocial.analysis.opinion import summarize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Images(HTMLParser):
    """Collects <img src> values; fails on nothing, so unbalanced HTML shows up in other asserts."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs)["src"] or "")


def embedded_pngs(page: str) -> list[bytes]:
    parser = Images()
    parser.feed(page)
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in parser.sources)  # nothing loaded from outside
    return [base64.b64decode(src[len(prefix) :]) for src in parser.sources]


def test_adoption_report_embeds_figures_and_numbers(adoption_run_dir):
    """Figures embedded and saved, beta and verdict shown, LLM accounting and files listed."""
    run_dir = adoption_run_dir(3.0, seed=2)
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text()
    pngs = embedded_pngs(page)
    text = html.unescape(page)
    assert len(pngs) == 2 and all(png.startswith(PNG_MAGIC) for png in pngs)
    saved = sorted(p.name for p in (run_dir / "figures").iterdir())
    assert saved == ["adoption_curve.png", "beta_vs_published.png"]
    assert (run_dir / "figures" / "adoption_curve.png").read_bytes() in pngs
    metrics = summarize(load_run(run_dir))
    assert f"{metrics['beta_mle']:.4g}" in text and metrics["verdict"] in text
    for shown in ("opinion_adoption", "scripted/majority?beta=3", "completed", "3,000", "parse: 7"):
        assert shown in text
    assert "123,456" in text and "$0.0000" in text  # tokens and cost from the manifest
    assert "SELECT * FROM 'events.parquet'" in text
    assert "<code>events.parquet</code>" in page and "<code>spec.yaml</code>" in page


def test_dynamics_report_shows_consensus(dynamics_run_dir):
    """The dynamics report carries T_c/N and the m(t) figure."""
    page = write_report(dynamics_run_dir).read_text()
    assert len(embedded_pngs(page)) == 1
    assert "consensus on opinion A after T_c/N = 0.90" in page
    assert (dynamics_run_dir / "figures" / "m_trajectory.png").exists()


def test_report_escapes_what_the_run_recorded(adoption_run_dir):
    """A model string with markup is shown as text, not run as HTML."""
    run_dir = adoption_run_dir(3.0, model="<script>alert(1)</script>")
    page = write_report(run_dir).read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_failed_run_still_gets_a_report(tmp_path):
    """A run that died before writing data: the report shows status and error, no figures."""
    manifest = {
        "run_id": "r1", "scenario": "broken", "kind": "opinion", "status": "failed",
        "model": "scripted/majority", "error": "RuntimeError: boom", "spec": {"kind": "opinion"},
    }  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    page = write_report(tmp_path).read_text()
    assert "RuntimeError: boom" in page and "failed" in page
    assert embedded_pngs(page) == []
    summary = summary_json(tmp_path)
    assert summary["status"] == "failed" and summary["metrics"]["beta_mle"] is None


def test_summary_json_has_manifest_essentials_and_metrics(adoption_run_dir):
    """What `simsocial report --json` prints: run identity, LLM accounting, metrics."""
    run_dir = adoption_run_dir(3.0)
    summary = json.loads(json.dumps(summary_json(run_dir), allow_nan=False))
    assert summary["kind"] == "opinion" and summary["seed"] == 0
    assert summary["llm"]["calls"] == 3000
    assert summary["metrics"]["beta_ci_low"] <= 3.0 <= summary["metrics"]["beta_ci_high"]
