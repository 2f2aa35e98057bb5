"""analysis/opinion_dynamics.ipynb runs top to bottom on a fresh run and redraws its figures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

import simsocial

NOTEBOOK = Path(__file__).resolve().parents[2] / "analysis" / "opinion_dynamics.ipynb"

SCRIPTED_ADOPTION = {
    "name": "opinion_notebook",
    "kind": "opinion",
    "seed": 2,
    "steps": 7,
    "llm": {"model": "scripted/majority?beta=3"},
    "opinion": {
        "experiment": "adoption",
        "group_size": 20,
        "queries": 30,
        "grid": [-0.8, -0.4, -0.1, 0.0, 0.1, 0.4, 0.8],
    },
    "outputs": {"report": False},
}


def fresh_scripted_run(tmp_path: Path, adoption_run_dir) -> Path:
    """A real scripted run through simsocial.run; a synthetic run dir where the runner is absent."""
    data = {**SCRIPTED_ADOPTION, "outputs": {"report": False, "dir": str(tmp_path / "runs")}}
    spec_file = tmp_path / "opinion_notebook.yaml"
    spec_file.write_text(yaml.safe_dump(data))
    try:
        runner = simsocial.run
    except AttributeError:
        return adoption_run_dir(3.0, 2, n=20, queries=30, grid=data["opinion"]["grid"])
    return Path(runner(simsocial.load_scenario(spec_file)).run_dir)


def execute(run_dir: Path) -> nbformat.NotebookNode:
    """Run the notebook with RUN_DIR injected after its `parameters` cell, as papermill does."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    injected = nbformat.v4.new_code_cell(f"RUN_DIR = {json.dumps(str(run_dir))}")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, injected)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    return client.execute()


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [
        out["data"][mime]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") in {"display_data", "execute_result"} and mime in out["data"]
    ]


def text_output(nb: nbformat.NotebookNode) -> str:
    streams = [
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    ]
    return "".join(streams) + "".join(outputs(nb, "text/plain"))


@pytest.mark.slow
def test_notebook_rebuilds_the_adoption_figures(tmp_path, adoption_run_dir):
    """On a fresh scripted run: the verdict, the DuckDB table and both figures as PNG."""
    run_dir = fresh_scripted_run(tmp_path, adoption_run_dir)
    nb = execute(run_dir)
    assert len(outputs(nb, "image/png")) == 2
    text = text_output(nb)
    assert "majority force (beta = " in text
    assert "adoption_curve" in text and "beta_vs_published" in text
    assert any("p_a" in html for html in outputs(nb, "text/html"))  # the DuckDB query's table


@pytest.mark.slow
def test_notebook_draws_m_of_t_for_a_dynamics_run(dynamics_run_dir):
    """On a dynamics run: T_c/N in the verdict and the m(t) figure."""
    nb = execute(dynamics_run_dir)
    assert len(outputs(nb, "image/png")) == 1
    assert "T_c/N = 0.90" in text_output(nb) and "m_trajectory" in text_output(nb)
