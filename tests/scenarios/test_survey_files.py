"""The survey kind with items of your own (a mapped ANES column, a persona field), located
`validate` errors, kill-and-resume to the same answers, and the twin's sweep answer: the fields
shown and the prompt form change none of its answers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run, survey
from simsocial.errors import SimsocialError
from simsocial.spec import load_scenario, parse_scenario
from simsocial.testing import kills

DATA = Path(__file__).resolve().parents[1] / "data" / "anes_synthetic.csv"
TRUST = {900001: 1, 900002: 2, 900003: 3, 900004: 1, 900005: 2, 900006: 3, 900007: -9}


def with_trust(folder: Path) -> Path:
    """The synthetic ANES rows plus a made-up coded column V209999 (-9: refused)."""
    rows = list(csv.DictReader(DATA.open(newline="")))
    path = folder / "anes.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, [*rows[0], "V209999"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "V209999": TRUST.get(int(row["V200001"]), 1)})
    return path


def write(folder: Path, body: str, name: str = "audit.yaml") -> Path:
    path = folder / name
    path.write_text(f"name: audit\nkind: survey\nseed: 2\n{body}")
    return path


def test_a_mapped_column_and_a_persona_field_are_items(tmp_path):
    """personas.extra maps V209999 as `trust` (an ordinal item with an off-scale code); `race`
    is asked from the persona field, its sentence hidden. The perfect twin gets both right; a
    refused code is not asked."""
    with_trust(tmp_path)
    path = write(
        tmp_path,
        f"""llm: {{model: "scripted/survey?a=1"}}
survey:
  personas: {{anes: anes.csv, n: 40, extra: {{trust: V209999}}}}
  items:
    - {{name: trust, question: "How much do you trust the government?",
       options: {{1: a lot, 2: a little, 3: "don't know"}}, ordinal: true, off_scale: [3]}}
    - {{name: race_item, field: race, question: "What is your race?",
       options: {{1: White, 2: Black, 3: Hispanic, 4: Asian, 5: Native American or other,
                 6: more than one race}}}}
  oracle: true
  bootstrap: {{resamples: 200}}
outputs: {{dir: "{tmp_path / "runs"}", report: false}}
""",
    )
    result = simsocial.run(load_scenario(path))
    assert result.status == "completed", result.manifest.get("error")
    run = load_run(result.run_dir)
    answers = run.table("answers")
    trust = answers[answers["item"] == "trust"]
    assert (trust["answer"] == trust["truth"]).all() and set(trust["truth"]) <= {"1", "2", "3"}
    assert trust.loc[trust["truth"] == "3", "truth_rank"].isna().all()  # off the scale
    assert result.manifest["survey"]["counts"]["trust"]["no_truth"] > 0  # 900007 refused
    prompts = [json.loads(p)[-1]["content"] for p in result.llm_calls["prompt"]]
    race = [p for p in prompts if "What is your race?" in p]
    assert race and not any(p.split(" When asked")[0].count("You are White.") for p in race)
    rows = survey.audit(run)
    assert (rows.loc[rows["subgroup"] == "all", "accuracy"] == 1).all()
    assert result.manifest["survey"]["personas"]["source"] == "anes-2020-time-series"


@pytest.mark.parametrize(
    ("block", "where", "message"),
    [
        ("{personas: {synthetic_anes: {n: 5}}, items: [{name: x, field: nope, question: q, "
         "options: {1: a, 2: b}}]}", ":6:", "neither a persona answer"),
        ("{personas: {synthetic_anes: {n: 5}}, items: [{name: x, field: income, question: q, "
         "options: {1: a, 2: b}}]}", ":6:", "do not simulate income"),
        ("{personas: {synthetic_anes: {n: 5}, enrich: true}}", ":6:", "leak the answers"),
        ("{personas: {synthetic_anes: {n: 5}}, show: [age, hobbies]}", ":6:", "not enriched"),
        ("{personas: {synthetic_anes: {n: 5}}, items: [vote_2020, vote_2020]}", ":6:",
         "asked twice"),
    ],
)  # fmt: skip
def test_validate_locates_bad_audit_blocks(tmp_path, capsys, block, where, message):
    cli = pytest.importorskip("simsocial.cli")
    path = write(tmp_path, f"steps: 3\nllm: {{model: scripted/survey}}\nsurvey: {block}\n")
    assert cli.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert where in err and message in err and "Traceback" not in err


def test_steps_must_cover_the_items(tmp_path):
    with pytest.raises(SimsocialError, match="steps: is 2 but the audit asks 3 items"):
        parse_scenario(
            {"name": "a", "kind": "survey", "steps": 2,
             "survey": {"personas": {"synthetic_anes": {"n": 5}}}}
        )  # fmt: skip


def test_fields_and_form_change_none_of_the_twins_answers(tmp_path):
    """The sweep's known answer: with the oracle the twin ignores what else is shown, and the
    same seed draws the same shuffles, so every ablation arm gets the same answers."""
    tables = []
    for show, person in (("demographics", "second"), ("lists", "first")):
        spec = parse_scenario(
            {"name": f"a_{show}", "kind": "survey", "seed": 4, "steps": 3,
             "llm": {"model": "scripted/survey?a=0.6"},
             "survey": {"personas": {"synthetic_anes": {"n": 60}}, "oracle": True,
                        "show": show, "person": person},
             "outputs": {"dir": str(tmp_path / show), "report": False}}
        )  # fmt: skip
        result = simsocial.run(spec)
        tables.append(load_run(result.run_dir).table("answers"))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_a_kill_mid_audit_resumes_to_the_same_answers(tmp_path):
    """SIGKILL after the second item's step: resume asks only the third, and every table equals
    an uninterrupted run's."""
    path = write(
        tmp_path,
        f"""steps: 3
llm: {{model: "scripted/survey?a=0.5", temperature: 1.0}}
survey: {{personas: {{synthetic_anes: {{n: 50}}}}, oracle: true, bootstrap: {{resamples: 200}}}}
outputs: {{dir: "{tmp_path / "runs"}", report: false}}
""",
    )
    parent = simsocial.run(load_scenario(path), out=tmp_path / "parent")
    reference = kills.tables(parent.run_dir)
    assert len(reference["answers"]) == 150
    trial = kills.kill_at_point(path, tmp_path / "killed", "step:2", reference)
    assert trial.killed and trial.resume_code == 0, trial.resume_error
    assert trial.equal, trial.difference


def test_declared_condition_metrics_are_what_conditions_read(make_session):
    """The vocabulary `validate` checks `when:` against is exactly what the model offers."""
    from simsocial.interventions.schedule import metrics
    from simsocial.scenarios.survey.model import SurveyModel
    from simsocial.vocabulary import Population

    spec = parse_scenario(
        {"name": "v", "kind": "survey", "survey": {"personas": {"synthetic_anes": {"n": 3}}}}
    )
    model = SurveyModel(spec, make_session("scripted/survey"))
    vocabulary = spec.vocabulary(Population(nodes=None, blocks=None))
    assert set(metrics(model)) == set(vocabulary.metrics)
