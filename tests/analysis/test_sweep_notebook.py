"""analysis/sweep_comparison.ipynb runs top to bottom on a fresh sweep and redraws its report."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import simsocial

NOTEBOOK = Path(__file__).resolve().parents[2] / "analysis" / "sweep_comparison.ipynb"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "opinion_committed_minority.yaml"


def test_the_sweep_notebook_rebuilds_effects_and_figures(tmp_path: Path) -> None:
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        f"sweep: nb\nscenario: {SCENARIO}\nseed: 1\nreplicates: 2\n"
        "set: {network.n: 20, steps: 6}\n"
        "grid:\n  interventions.0.select.fraction: [0.0, 0.4]\n"
        "baseline: {interventions.0.select.fraction: 0.0}\nmetrics: [final_m]\n"
        f"out: {tmp_path / 'out'}\n"
    )
    sweep_dir = simsocial.sweep(sweep_file).sweep_dir
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (tagged,) = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    nb.cells.insert(
        tagged + 1, nbformat.v4.new_code_cell(f"SWEEP_DIR = {json.dumps(str(sweep_dir))}")
    )
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") in {"display_data", "execute_result"}
    ]
    pngs = [o for o in shown if "image/png" in o["data"]]
    text = "".join(o["data"].get("text/plain", "") for o in shown) + "".join(
        out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
    )
    assert len(pngs) == 2
    assert "interventions.0.select.fraction=0.4" in text and "-2.0" in text
    assert "runs read: 4" in text  # the DuckDB glob read every run directory
