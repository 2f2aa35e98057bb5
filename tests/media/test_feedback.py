"""The feedback-loop kind end to end on the scripted audiences (twins with known answers), with
the tables, files and report it writes, and kill/resume giving the committed tables of an
uninterrupted run."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import TWIN_MODEL, need_media

need_media()

import simsocial  # noqa: E402
from simsocial import runner  # noqa: E402
from simsocial.testing.kills import difference, tables  # noqa: E402

SCENARIO = """\
name: media_twin
kind: media
seed: {seed}
steps: {steps}
llm: {{model: "{llm}"}}
media:
  model: "{model}"
  prompts: [a circle, a square, a triangle]
  images_per_prompt: {per_prompt}
  liked_share: 0.34
  audience:
    - {{name: Rosa, taste: You love blue things.}}
    - {{name: Ines, taste: You like blue skies.}}
  lora: {{rank: 4, alpha: 8.0, steps: {lora_steps}, batch: 16, lr: {lr}}}
outputs: {{dir: {out}, report: {report}}}
"""


@pytest.fixture(autouse=True)
def shared_media_cache(media_cache, trained_twin, monkeypatch):
    monkeypatch.setenv("SIMSOCIAL_MEDIA_DIR", str(media_cache))


def scenario(tmp_path: Path, llm: str, **keys: object):
    values = {"seed": 1, "steps": 3, "per_prompt": 16, "lora_steps": 30, "lr": 0.005}
    values["report"] = "false"
    values.update(keys)
    path = tmp_path / "media.yaml"
    path.write_text(SCENARIO.format(llm=llm, model=TWIN_MODEL, out=tmp_path / "runs", **values))
    return simsocial.load_scenario(path)


def test_an_audience_that_likes_only_blue_makes_blue_rise_every_generation(tmp_path):
    result = simsocial.run(scenario(tmp_path, "scripted/taste?likes=blue", report="true"))
    assert result.status == "completed"
    model = result.model
    blue = model["share_blue"].tolist()
    assert blue[0] < blue[1] < blue[2], blue
    assert model["fidelity"].notna().all() and (model["trained_on"].iloc[:2] > 0).all()
    assert model["taste_share"].tolist() == pytest.approx(blue)  # both viewers like blue
    media = result.table("media")
    assert len(media) == 3 * 48 and media["media_id"].tolist() == list(range(144))
    assert set(media.loc[media["trained_on"], "colour"]) == {"blue"}  # only liked images train
    assert (media.loc[media["colour"] != "blue", "likes"] == 0).all()
    assert (media.loc[media["colour"] == "blue", "likes"] == 2).all()
    assert all((result.run_dir / f).exists() for f in media["file"])
    assert media.groupby("step")["adapter"].first().tolist()[0] == ""
    assert all(
        a.startswith("media/adapters/g") for a in media.groupby("step")["adapter"].first()[1:]
    )
    posts, votes = result.table("posts"), result.table("votes")
    assert posts["image_ref"].tolist() == media["file"].tolist()
    assert len(votes) == int(media["likes"].sum())
    adapters = result.events[result.events["kind"] == "adapter"]
    assert len(adapters) == 2
    report = (result.run_dir / "report.html").read_text()
    assert "media_grid" in report and "taste share" in report


def test_a_random_audience_leaves_diversity_within_generation_zero_interval(tmp_path):
    """One adapted generation. Over more generations the small test model's diversity falls
    below generation 0's interval even at random: training on its own few outputs narrows it
    (what the experiment is there to measure on the default model)."""
    from simsocial.analysis import load_run
    from simsocial.analysis.media import summarize

    result = simsocial.run(scenario(tmp_path, "scripted/random", seed=2, steps=2))
    summary = summarize(load_run(result.run_dir))
    low, high = summary["diversity_ci_first"]
    assert summary["diversity_within_ci"], summary
    assert low <= result.model["diversity"].iloc[-1] <= high


def test_a_random_audience_drifts_no_more_than_resampling_explains(tmp_path):
    """Four generations at random: the chain may narrow (a perfect learner of a few samples
    would too), but no adapted generation's diversity falls below the interval that resampling
    its trained-on images gives, and the report says so."""
    from simsocial.analysis import load_run
    from simsocial.analysis.media import resampling_intervals, summarize

    result = simsocial.run(scenario(tmp_path, "scripted/random", seed=3, steps=4))
    run = load_run(result.run_dir)
    null = resampling_intervals(run)
    assert null["generation"].tolist() == [1, 2, 3]
    assert null["within"].all(), null
    summary = summarize(run)
    assert summary["diversity_within_null"] is True
    assert "no adapted generation narrower than resampling" in summary["verdict"]


def test_a_killed_run_resumes_to_the_tables_of_an_uninterrupted_one(
    tmp_path, monkeypatch, media_cache
):
    spec = scenario(tmp_path, "scripted/taste?likes=blue", steps=2, per_prompt=8, lora_steps=10)
    reference = tables(simsocial.run(spec, out=tmp_path / "reference").run_dir)

    class Killed(BaseException):
        pass

    passes = {"n": 0}

    def kill(point: str) -> None:
        if point == "step":
            passes["n"] += 1
            if passes["n"] == 2:  # generation 1 ran (images, likes, no adapter): rows not kept
                raise Killed

    monkeypatch.setattr(runner, "kill_point", kill)
    killed = tmp_path / "killed"
    with pytest.raises(Killed):
        simsocial.run(spec, out=killed)
    monkeypatch.setattr(runner, "kill_point", lambda point: None)
    shutil.rmtree(media_cache / "images")  # the resumed step renders its images anew
    result = simsocial.resume(killed)
    assert result.status == "completed"
    assert difference(killed, reference) == ""
    assert np.array_equal(
        sorted(p.name for p in (killed / "media").glob("*.png")),
        sorted(p.name for p in (tmp_path / "reference" / "media").glob("*.png")),
    )


def test_a_branch_with_the_same_seed_replays_its_parent(tmp_path):
    from simsocial.branching import branch

    spec = scenario(tmp_path, "scripted/taste?likes=blue", steps=2, per_prompt=8, lora_steps=10)
    parent = simsocial.run(spec, out=tmp_path / "parent")
    (child,) = branch(parent.run_dir, 1, 1, keep_seed=True)
    assert child.status == "completed"
    assert child.table("media").equals(parent.table("media"))  # the adapter came from the cache
    assert child.model.equals(parent.model)
