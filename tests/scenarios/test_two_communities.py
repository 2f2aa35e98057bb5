"""The issue's study, end to end: two communities on a stochastic block model, zealots in one of
them, a per-community metric, a sweep over the zealot share; which community tipped?

Twin with a known answer: the scripted tanh majority policy (beta = 3) on two blocks of 30 with
no links between them. Zealots holding B are drawn only in block 0 (`trait: {block: 0}`), so
block 1 never hears B and must stay on A whatever the share; block 0 tips towards B as the share
grows. With 3 replicates the report shows block 0's effect with its CI and every replicate's
value, lists block 1's metric as constant (it never moved), and flags nothing as significant
(fewer pairs than the threshold of 5).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import simsocial
from simsocial.analysis.sweep_report import sweep_summary, write_sweep_report

SCENARIO = """\
name: two_communities
kind: opinion
seed: 1
steps: 12
update: random_sequential
llm: {model: "scripted/majority?beta=3"}
network:
  generator: stochastic_block
  params: {sizes: [30, 30], p: [[0.5, 0.0], [0.0, 0.5]]}
opinion: {experiment: dynamics, initial_m: 1.0}
interventions:
  - {at: 0, do: set_state, select: {trait: {block: 0}, fraction: 0.0},
     state: {zealot: true, opinion: B}}
metrics:
  share_b_block0: {mean: "opinion == 'B'", where: "block == 0"}
  share_b_block1: {mean: "opinion == 'B'", where: "block == 1"}
outputs: {report: false}
"""

SWEEP = """\
sweep: zealots_in_block0
scenario: two_communities.yaml
seed: 5
replicates: 3
grid:
  interventions.0.select.fraction: [0.0, 0.6]
baseline: {{interventions.0.select.fraction: 0.0}}
out: {out}
"""


def test_only_the_community_with_zealots_tips_and_the_report_says_so_honestly(tmp_path: Path):
    (tmp_path / "two_communities.yaml").write_text(SCENARIO)
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(SWEEP.format(out=tmp_path / "sweeps"))
    result = simsocial.sweep(sweep_file)
    table = result.table
    assert set(table.status) == {"completed"} and len(table) == 6
    share = table["param.interventions.0.select.fraction"]
    # block 1 is cut off from the zealots: it never moves; block 0 moves towards B
    assert (table["metric.share_b_block1"] == 0.0).all()
    assert (table.loc[share == 0.0, "metric.share_b_block0"] == 0.0).all()
    assert (table.loc[share == 0.6, "metric.share_b_block0"] >= 0.6).all()

    summary = sweep_summary(result.sweep_dir)
    assert "share_b_block0" in summary["metrics"]  # compared by default: the scenario's own
    assert "share_b_block1" in summary["constant"]  # 0 everywhere: said, not compared
    block0 = pd.DataFrame(summary["metrics"]["share_b_block0"]["effects"])
    effect = block0.iloc[0]
    assert effect["effect"] >= 0.6 and effect["ci_low"] > 0.0  # the CI is shown ...
    assert effect["significant"] is None and "too few" in effect["warning"]  # ... not a claim
    arms = pd.DataFrame(summary["metrics"]["share_b_block0"]["arms"])
    assert all(len(values) == 3 for values in arms["values"])  # every replicate's value

    html = write_sweep_report(result.sweep_dir).read_text()
    assert "share_b_block0" in html and "share_b_block1" in html and "too few" in html
