"""The survey report: a table per item and subgroup, the reliability plot, a verdict naming the
weakest subgroup, and a glossary line for every number."""

from __future__ import annotations

from pathlib import Path

import simsocial
from simsocial.analysis import load_run, survey
from simsocial.analysis.glossary import NO_DESCRIPTION
from simsocial.analysis.report import summary_json
from simsocial.spec import parse_scenario


def test_the_report_shows_tables_plot_and_verdict(tmp_path: Path):
    spec = parse_scenario(
        {"name": "audit", "kind": "survey", "seed": 3, "steps": 3,
         "llm": {"model": "scripted/survey?a=0.9&when=You+are+Hispanic.&a_when=0.1"},
         "survey": {"personas": {"synthetic_anes": {"n": 400}}, "oracle": True,
                    "subgroups": ["race", "party"], "bootstrap": {"resamples": 300}},
         "outputs": {"dir": str(tmp_path / "runs"), "report": True}}
    )  # fmt: skip
    result = simsocial.run(spec)
    html = (result.run_dir / "report.html").read_text()
    assert "weakest subgroup: race = Hispanic" in html and NO_DESCRIPTION not in html
    for item in ("vote_2020", "party_id", "ideology"):
        assert f"{item}: by subgroup" in html
    assert (result.run_dir / "figures" / "reliability.png").exists()
    assert (result.run_dir / "figures" / "accuracy_by_subgroup.png").exists()
    metrics = summary_json(result.run_dir)["metrics"]
    assert metrics["weakest_subgroup"] == "race = Hispanic"
    assert set(metrics) <= set(survey.GLOSSARY) | {"verdict"}
    (title, table), *_ = survey.tables(load_run(result.run_dir))
    assert title == "vote_2020: by subgroup"
    assert list(table.columns[:4]) == ["subgroup", "group", "n", "failed"]
    assert table.iloc[0]["subgroup"] == "all" and "[" in table.iloc[0]["accuracy"]
