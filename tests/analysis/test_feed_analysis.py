"""The feed's metrics, figures, report and per-ranker sweep table on directories written by hand
(tests/analysis/feed_runs.py), so every number has a known answer and no model runs."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feed_runs import COUNTS, KNOWN, tables, write_feed_run

from simsocial.analysis import feed, load_run, write_report
from simsocial.analysis import feed_metrics as fm
from simsocial.analysis.compare import bootstrap_ci
from simsocial.analysis.feed_sweep import ranker_table, sweep_tables
from simsocial.analysis.glossary import NO_DESCRIPTION
from simsocial.analysis.sweep_report import write_sweep_report
from simsocial.scenarios import KINDS, ScenarioKind


@pytest.fixture(autouse=True)
def feed_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reports find the feed's analysis whether or not the kind is registered yet."""
    if "feed" not in KINDS:
        kind = ScenarioKind(name="feed", summary="feed", spec="x:Y", model="x:Y",
                            analysis="simsocial.analysis.feed", trajectory="posts",
                            outcomes=fm.OUTCOMES)  # fmt: skip
        monkeypatch.setitem(KINDS, "feed", kind)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_feed_run(tmp_path / "feed")


def test_summary_has_the_known_answers(run_dir):
    """E-I per type with the independents rule, toxicity apart from offensive_prob, Gini of
    followers and reposts, out-party share shown, actions and personas."""
    metrics = feed.summarize(load_run(run_dir))
    for key, value in KNOWN.items():
        assert metrics[key] == pytest.approx(value), key
    assert metrics["ei_likes_counts"] == ("external 2, internal 3; left out: independent 1, self 1")
    verdict = metrics["verdict"]
    assert "synthetic personas, 2 D, 3 R, 1 I) on the bridging feed" in verdict
    assert "likes -0.20 (paper -0.18)" in verdict and "comments +0.00 (paper +0.33)" in verdict
    assert "toxicity 1.20 on 0-3 (judge-model, 5 posts, 1 unscored)" in verdict
    assert "offline offensive_prob 0.50" in verdict and "partisans saw 45% out-party" in verdict


def test_ei_rows_carry_counts_and_a_seeded_ci(run_dir):
    """Counts per type (external, internal, independent, self); the CI brackets the value and is
    the same on every call (seeded with the run's seed)."""
    run = load_run(run_dir)
    tabs = fm.tables_of(run)
    rows = fm.ei_rows(fm.interaction_table(tabs), fm.parties(tabs["users"]), 7)
    for name, counts in COUNTS.items():
        got = tuple(int(rows.loc[name, c]) for c in ("external", "internal", "independent", "self"))
        assert got == counts, name
    assert (rows["ci_low"] <= rows["ei"] + 1e-12).all() and (rows["ei"] <= rows["ci_high"]).all()
    again = fm.ei_rows(fm.interaction_table(tabs), fm.parties(tabs["users"]), 7)
    pd.testing.assert_frame_equal(rows, again)


def test_outparty_by_step_per_party(run_dir):
    run = load_run(run_dir)
    tabs = fm.tables_of(run)
    side = fm.parties(tabs["users"])
    by_step = fm.outparty_by_step(fm.shown_of(run, tabs["posts"]), fm.authors(tabs["posts"]), side)
    got = {(s, p): v for s, p, v in by_step.itertuples(index=False)}
    assert got == pytest.approx({(0, "democrat"): 1 / 3, (0, "republican"): 0.5,
                                 (1, "democrat"): 1.0, (1, "republican"): 0.25})  # fmt: skip


def test_unknown_party_label_is_an_error(tmp_path):
    frames = tables()
    frames["users"].loc[0, "community"] = "green"
    with pytest.raises(ValueError, match="green"):
        feed.summarize(load_run(write_feed_run(tmp_path / "bad", frames)))


def test_offline_judge_is_not_toxicity(tmp_path):
    """Toxicity events from an 'offline' judge are not an LLM judge's scores: no mean."""
    frames = tables()
    events = frames["events"]
    toxic = events["kind"] == "toxicity"
    events.loc[toxic, "payload"] = [
        json.dumps({**json.loads(p), "judge": "offline", "score": None})
        for p in events.loc[toxic, "payload"]
    ]
    metrics = feed.summarize(load_run(write_feed_run(tmp_path / "off", frames)))
    assert metrics["toxicity_mean"] is None and metrics["toxicity_judge"] == "offline"
    assert "no post was scored by an LLM judge" in metrics["verdict"]


def test_an_empty_run_summarizes(tmp_path):
    """A run killed before its first table: counts of zero, no values, no crash."""
    metrics = feed.summarize(load_run(write_feed_run(tmp_path / "empty", {})))
    assert metrics["users"] == 0 and metrics["ei_likes"] is None
    assert (
        metrics["outparty_shown"] is None and metrics["verdict"] == "No users were on the platform."
    )
    assert feed.figures(load_run(tmp_path / "empty")) == []
    assert feed.sections(load_run(tmp_path / "empty")) == []


def test_every_metric_has_a_glossary_line(run_dir):
    metrics = feed.summarize(load_run(run_dir))
    assert set(metrics) - {"verdict"} <= set(feed.GLOSSARY)
    assert set(fm.OUTCOMES) <= set(metrics)


def test_reference_table_sits_beside_the_paper(run_dir):
    table = feed.reference_table(load_run(run_dir)).set_index("measure")
    assert table.loc["E-I likes", "this run"] == pytest.approx(-0.2)
    assert table.loc["E-I likes", "paper followed"] == -0.97
    assert table.loc["E-I comments", "paper bridging"] == 0.33
    assert table.loc["E-I comments", "left out: independent"] == 1
    assert np.isnan(table.loc["E-I reposts", "paper all users"])
    assert table.loc["toxicity (mean, 0-3)", "paper all users"] == 0.13
    assert "not 0-3" in table.loc["toxicity (mean, 0-3)", "note"]
    levels = dict(feed.tables(load_run(run_dir)))["Posts per incivility level (LLM judge)"]
    assert levels["posts"].tolist() == [2, 1, 1, 1]


def test_report_renders_with_figures_tables_and_a_sample_feed(run_dir):
    report = write_report(run_dir).read_text()
    assert NO_DESCRIPTION not in report
    assert (
        "beside Törnberg et al. 2023 (this run&#39;s ranker is the paper&#39;s &#39;bridging&#39;)"
        in report
    )
    assert "Feed of Ann (democrat) at step 1 (ranker bridging)" in report
    assert "&lt;script&gt;" in report and "<script>x" not in report  # post text is escaped
    assert html.escape("<b>Fay</b>") in report
    names = {p.stem for p in (run_dir / "figures").glob("*.png")}
    assert names == {"ei_by_interaction", "toxicity_levels", "offensive_prob",
                     "outparty_shown_by_step"}  # fmt: skip


# --- the sweep over rankers ---------------------------------------------------------------------

VALUES = {  # ranker -> ei_likes per replicate (seed)
    "followed_engagement": [-0.9, -0.8, -1.0],
    "all_engagement": [-0.7, -0.6, -0.65],
    "bridging": [-0.2, 0.1, -0.1],
}


def write_sweep(sweep_dir: Path) -> Path:
    """A finished sweep over three rankers, three seeds each, and one run directory (the report
    reads the kind from it)."""
    rows = []
    for ranker, values in VALUES.items():
        for replicate, value in enumerate(values):
            run = f"{ranker}-r{replicate}"
            rows.append({"run": run, "variant": "base", "replicate": replicate,
                         "seed": 100 + replicate, "param.feed.ranker": ranker,
                         "status": "completed", "error": None, "run_dir": str(sweep_dir / run),
                         "metric.ei_likes": value, "metric.toxicity_mean": 0.5 + value / 10,
                         "metric.verdict": "text"})  # fmt: skip
    sweep_dir.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(sweep_dir / "sweep.parquet", index=False)
    spec = {"sweep": "feed_rankers", "scenario": "news_feed.yaml", "replicates": 3, "seed": 1}
    (sweep_dir / "sweep.json").write_text(json.dumps(spec))
    write_feed_run(sweep_dir / rows[0]["run"], ranker="followed_engagement")
    return sweep_dir


def test_ranker_table_means_cis_and_paper_values(tmp_path):
    table = ranker_table(write_sweep(tmp_path / "sweep"))
    assert list(table["outcome"].unique()) == ["ei_likes", "toxicity_mean"]  # the others absent
    likes = table[table["outcome"] == "ei_likes"].set_index("ranker")
    for ranker, values in VALUES.items():
        low, high = bootstrap_ci(np.array(values))
        assert likes.loc[ranker, "mean"] == pytest.approx(np.mean(values))
        assert (likes.loc[ranker, "ci_low"], likes.loc[ranker, "ci_high"]) == pytest.approx(
            (low, high)
        )
        assert likes.loc[ranker, "n"] == 3 and likes.loc[ranker, "values"] == values
    assert likes["paper"].to_dict() == {"followed_engagement": -0.97, "all_engagement": -0.78,
                                        "bridging": -0.18}  # fmt: skip
    toxicity = table[table["outcome"] == "toxicity_mean"].set_index("ranker")
    assert toxicity.loc["bridging", "paper"] == 0.07
    assert "not 0-3" in toxicity.loc["bridging", "note"]


def test_sweep_report_shows_the_ranker_table(tmp_path):
    sweep_dir = write_sweep(tmp_path / "sweep")
    assert len(sweep_tables(sweep_dir)) == 1
    report = write_sweep_report(sweep_dir).read_text()
    assert "Per ranker: mean over seeds, 95% bootstrap CI" in report
    assert "-0.97" in report and "-0.9, -0.8, -1" in report


def test_no_ranker_table_without_a_ranker_sweep(tmp_path):
    sweep_dir = write_sweep(tmp_path / "sweep")
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    table.drop(columns=["param.feed.ranker"]).assign(**{"param.feed.k": 5}).to_parquet(
        sweep_dir / "sweep.parquet", index=False
    )
    assert sweep_tables(sweep_dir) == []
    with pytest.raises(ValueError, match=r"does not vary feed\.ranker"):
        ranker_table(sweep_dir)


@pytest.mark.parametrize(
    ("payload", "synthetic"),
    [({"source": "ANES 2020 Time Series", "file": "anes.csv"}, False), ({"users": 6}, None)],
)
def test_personas_from_a_survey_file_or_unsaid(tmp_path, payload, synthetic):
    """A survey file named in the event: not synthetic; nothing said either way: unknown."""
    frames = tables()
    events = frames["events"]
    events.loc[events["kind"] == "personas", "payload"] = json.dumps(payload)
    metrics = feed.summarize(load_run(write_feed_run(tmp_path / "p", frames)))
    assert metrics["personas_synthetic"] is synthetic
    assert ("survey personas" in metrics["verdict"]) is (synthetic is False)
