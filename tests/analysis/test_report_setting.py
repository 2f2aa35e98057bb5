"""Reports of every kind say where the agents were (network), what was done to them
(interventions), and what each number means (glossary); tiny scripted runs, real run directories."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

import simsocial
from simsocial.analysis import load_run, write_report
from simsocial.analysis.glossary import LLM, NO_DESCRIPTION
from simsocial.analysis.report import analysis_module, glossary, summary_json
from simsocial.analysis.setting import interventions, network_rows
from simsocial.llm.accounting import Stats
from simsocial.spec import parse_scenario

SBM = {"generator": "stochastic_block", "params": {"sizes": [6, 6], "p": [[0.9, 0.1], [0.1, 0.9]]}}
RUNS: dict[str, dict[str, Any]] = {
    "adoption": {
        "kind": "opinion", "steps": 3, "llm": {"model": "scripted/majority?beta=3"},
        "opinion": {"experiment": "adoption", "group_size": 10, "queries": 6,
                    "grid": [-0.6, 0.0, 0.6]},
        "interventions": [{"at": 1, "do": "broadcast", "message": "vote A"}],
    },
    "dynamics": {
        "kind": "opinion", "steps": 4, "update": "random_sequential",
        "llm": {"model": "scripted/majority?beta=3"}, "network": SBM,
        "opinion": {"experiment": "dynamics", "initial_m": 1.0},
        "interventions": [
            {"at": 0, "do": "set_state", "select": {"trait": {"block": 0}, "fraction": 0.5},
             "state": {"zealot": True, "opinion": "B"}},
            {"at": 2, "do": "remove_edges", "fraction": 0.2},
        ],
    },
    "growth": {
        "kind": "growth", "steps": 10, "llm": {"model": "scripted/degree?offset=1"},
        "growth": {"n": 24, "m": 2, "arrivals_per_step": 3, "naming": "sequential"},
        "interventions": [{"at": 4, "do": "remove_edges", "fraction": 0.1}],
    },
    "diffusion": {
        "kind": "diffusion", "steps": 2,
        "llm": {"model": "scripted/gossip?p=0.5&about=mayor", "embedding_model": "hash"},
        "network": {"generator": "erdos_renyi", "n": 6, "params": {"p": 0.6}},
        "diffusion": {"turns": 2, "rounds_per_day": 1},
        "mind": {"planning": False, "reflection": False},
        "interventions": [{"at": 1, "do": "broadcast", "message": "the mayor resigned"}],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One completed run directory per case, with its report written."""
    home = tmp_path_factory.mktemp("reports")
    dirs = {}
    for case, data in RUNS.items():
        spec = parse_scenario(
            {"name": f"report_{case}", "seed": 2, **data, "outputs": {"dir": str(home)}}
        )
        result = simsocial.run(spec, out=home / case, report=False)
        assert result.status == "completed", (case, result.manifest.get("error"))
        write_report(result.run_dir)
        dirs[case] = result.run_dir
    return dirs


def page_text(run_dir: Path) -> str:
    return html.unescape((run_dir / "report.html").read_text())


def section(text: str, title: str) -> str:
    """The HTML between <h2 id=title> and the next <h2>."""
    found = re.search(rf'<h2 id="{title}">.*?(?=<h2)', text, re.S)
    assert found, f"no section {title}"
    return found.group(0)


@pytest.mark.parametrize("case", list(RUNS))
def test_every_metric_and_llm_key_has_a_glossary_line(run_dirs, case):
    """The kind's metrics and the LLM accounting all carry a meaning; none shows the fallback."""
    run = load_run(run_dirs[case])
    metrics = summary_json(run_dirs[case])["metrics"]
    lines = glossary(analysis_module(run))
    missing = sorted(k for k in metrics if k != "verdict" and k not in lines)
    assert not missing, f"{case}: metrics without a GLOSSARY line: {missing}"
    assert NO_DESCRIPTION not in page_text(run_dirs[case])
    for key in metrics:
        if key != "verdict":
            assert lines[key] in page_text(run_dirs[case])


def test_llm_glossary_covers_the_accounting():
    """Every key the session counts has a line (failures_by_kind and cost_usd as shown)."""
    shown = {"failures_by_kind": "failures", "cost_usd": "cost"}
    assert {shown.get(k, k) for k in Stats().as_dict()} <= set(LLM)


@pytest.mark.parametrize("case", list(RUNS))
def test_report_names_the_network_and_the_interventions(run_dirs, case):
    """Generator, realised size and degrees; each intervention with what, when, fired and whom."""
    text = page_text(run_dirs[case])
    network = section(text, "network")
    rows = dict(network_rows(load_run(run_dirs[case])))
    if case != "adoption":
        for key in ("generator", "nodes", "mean_degree", "min_degree", "max_degree"):
            assert key in rows and rows[key] in network
    fired = interventions(load_run(run_dirs[case]))
    assert len(fired) == len(RUNS[case]["interventions"])
    told = section(text, "interventions")
    for entry, spec in zip(fired, RUNS[case]["interventions"], strict=True):
        assert entry.fired == (spec["at"],)
        assert entry.do in told and f"at step {spec['at']}" in told


def test_dynamics_report_has_the_sbm_and_the_zealots(run_dirs):
    """The two-block network is named with its sizes; zealots were picked in block 0 only."""
    text = page_text(run_dirs["dynamics"])
    network = section(text, "network")
    assert "stochastic_block" in network and '"sizes": [6, 6]' in network
    assert ">12<" in network  # nodes
    zealots = interventions(load_run(run_dirs["dynamics"]))[0]
    assert zealots.whom == '{"trait": {"block": 0}, "fraction": 0.5} (3 agents)'
    assert interventions(load_run(run_dirs["dynamics"]))[1].whom.startswith("links (")


def test_growth_fit_table_is_html_and_the_verdict_names_the_tail(run_dirs):
    """No fit_table image: the tail fit is an HTML table; the verdict names the preferred tail."""
    run_dir = run_dirs["growth"]
    assert not (run_dir / "figures" / "fit_table.png").exists()
    text = page_text(run_dir)
    assert "<h2>Tail fit and network metrics, grown vs nulls</h2>" in text
    assert "<th>BA null</th>" in text and "<td>tail_preferred</td>" in text
    assert "Preferred tail:" in text and "grown by arrivals: n = 24, m = 2" in text


def test_fan_labels_every_branch_and_marks_the_interventions(run_dirs):
    """Each branch's legend names its fork step, index and seed or overrides; the parent's
    interventions are drawn as labelled lines."""
    from simsocial.analysis.tree import fan_figure
    from simsocial.branching import branch

    parent = run_dirs["dynamics"]
    seeds = [r.manifest["branch"]["seed"] for r in branch(parent, 2, n=2)]
    branch(parent, 3, overrides={"llm.temperature": 0.9})
    (ax,) = fan_figure(parent).axes
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "parent"
    assert sorted(legend[1:]) == sorted(
        [f"at 2 #0 seed {seeds[0]}", f"at 2 #1 seed {seeds[1]}", "at 3 #0 llm.temperature=0.9"]
    )
    notes = {t.get_text() for t in ax.texts}
    assert {"#0 set_state", "#1 remove_edges"} <= notes
