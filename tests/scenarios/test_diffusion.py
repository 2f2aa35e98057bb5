"""The diffusion scenario spreads news as its scripted twin predicts and scores what agents say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simsocial
from simsocial import checkpoint
from simsocial.analysis import load_run, summary_json, write_report
from simsocial.analysis.diffusion import awareness, summarize, transcript
from simsocial.errors import SimsocialError
from simsocial.llm import Gateway
from simsocial.scenarios.diffusion.model import DiffusionModel
from simsocial.scenarios.diffusion.process import expected_informed, mixed_pairs, pass_probability
from simsocial.spec import load_scenario, parse_scenario

GOSSIP = "scripted/gossip?p={p}&about=mayor"
EXAMPLE = Path(__file__).parents[2] / "scenarios" / "information_diffusion.yaml"
# everything an agent remembers reaches its prompts, so "knows" = "was told"
RECALL_ALL = {"k": 200, "budget_tokens": 20000, "planning": False}


def spec_for(seed: int, n: int, days: int, p: float, tmp_path: Path, **diffusion):
    return parse_scenario(
        {
            "name": "diffusion_twin",
            "kind": "diffusion",
            "seed": seed,
            "steps": days,
            "llm": {"model": GOSSIP.format(p=p), "temperature": 1.0, "embedding_model": "hash"},
            "network": {"generator": "complete", "n": n},
            "diffusion": {"turns": 2, "rounds_per_day": 2, **diffusion},
            "mind": RECALL_ALL,
            "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        }
    )


def test_mixed_pair_counts_are_exact_for_small_groups():
    """4 agents, 2 informed: the 3 perfect matchings give 0 mixed pairs once, 2 twice."""
    assert mixed_pairs(4, 2).tolist() == pytest.approx([1 / 3, 0, 2 / 3])
    assert mixed_pairs(4, 1).tolist() == pytest.approx([0, 1, 0])
    assert pass_probability(0.3, 2) == pytest.approx(0.3)
    assert pass_probability(0.5, 3) == pytest.approx(1 - 0.5 * (0.25 + 0.5))


def test_twin_awareness_matches_the_markov_chain_over_seeds(tmp_path):
    """Gossip twin (each telling passes with p = 0.3), 10 agents on a complete graph, 3 days of
    2 rounds: the mean informed fraction per day over 24 seeds lies within 3.5 standard errors
    of the exact expectation, and every interview answer is the truth (no hallucination)."""
    n, days, p, seeds = 10, 3, 0.3, 24
    mean, sd = expected_informed(n, 1, pass_probability(p, 2), 2 * days)
    gateway = Gateway(max_concurrency=8)
    curves = []
    try:
        for seed in range(seeds):
            spec = spec_for(seed, n, days, p, tmp_path)
            session = gateway.session(spec.llm, run_id=f"twin{seed}", stream=seed)
            model = DiffusionModel(spec, session)
            curve = []
            for day in range(days):
                model.step_index = day
                model.step()
                said = [a.aware for a in model.villagers]
                truth = [a.informed for a in model.villagers]
                assert said == truth
                curve.append(sum(truth) / n)
            curves.append(curve)
    finally:
        gateway.close()
    measured = np.asarray(curves).mean(axis=0)
    expected, se = mean[2::2], sd[2::2] / np.sqrt(seeds)
    assert np.all(np.abs(measured - expected) < 3.5 * se), (measured, expected, se)
    assert measured[-1] > measured[0] > 0.1  # the news did spread


def test_run_scores_answers_and_writes_the_report(tmp_path):
    """A fixed-'yes' population: everyone says it knows, so every uninformed agent is counted
    as hallucinating; the report carries the transcript, both figures and calls per agent-step."""
    spec = spec_for(3, 6, 2, 0.5, tmp_path)
    spec = spec.model_copy(
        update={"llm": spec.llm.model_copy(update={"model": "scripted/fixed?answer=yes"})}
    )
    result = simsocial.run(spec)
    run = load_run(result.run_dir)
    metrics = summarize(run)
    informed = round(metrics["aware_end_true"] * 6)
    assert metrics["aware_end_reported"] == 1.0 and informed == 1  # 'ok' never tells anyone
    assert metrics["hallucinated_end"] == 6 - informed
    said = transcript(run)
    news = said[said["question"] == "news"]
    assert len(news) == 12 and set(news["verdict"]) == {"aware", "hallucinated"}
    calls = result.manifest["calls"]
    embeds = result.llm_calls["verb"] == "embed"  # recorded beside the model calls
    assert calls["by_kind"]["embedding"] == embeds.sum() > 0
    assert set(result.llm_calls[embeds]["path"]) == {"local"}
    model_calls = int((~embeds).sum())
    assert calls["total"] == model_calls and calls["agent_steps"] == 12
    assert calls["per_agent_step"] == pytest.approx(model_calls / 12)
    html = write_report(result.run_dir).read_text()
    assert "Interview transcript" in html and "hallucinated" in html
    assert (result.run_dir / "figures" / "awareness.png").exists()
    assert (result.run_dir / "figures" / "density.png").exists()
    assert summary_json(result.run_dir)["metrics"]["calls_per_agent_step"] > 0


@pytest.mark.parametrize("switch", ["memory", "reflection", "planning"])
def test_ablations_run_from_the_example_with_set(tmp_path, switch):
    """`--set mind.<part>=false` on the example file runs under the twin; without memory the
    listeners forget what they were told, so only the seed says it knows."""
    spec = load_scenario(
        EXAMPLE,
        [
            f"llm.model={GOSSIP.format(p=1.0)}",
            "llm.embedding_model=hash",
            "network.n=6",
            "mind.planning=true",
            f"mind.{switch}=false",
            f"outputs.dir={tmp_path}",
            "outputs.report=false",
        ],
    )
    result = simsocial.run(spec)
    assert result.status == "completed"
    run = load_run(result.run_dir)
    metrics = summarize(run)
    by_kind = result.manifest["calls"]["by_kind"]
    if switch == "memory":
        assert metrics["aware_end_reported"] == pytest.approx(1 / 6)
        assert metrics["aware_end_true"] > 1 / 6
        assert by_kind["importance"] == 0 and run.agents["memories"].max() == 0
    else:
        assert metrics["aware_end_reported"] == metrics["aware_end_true"] > 1 / 6
    assert (by_kind["planning"] == 0) == (switch == "planning")


def test_checkpoint_restores_to_the_same_days(tmp_path):
    """Stop after day 1, restore from the pickled state into a fresh model, and day 2 gives the
    same awareness, memories and interview answers as an uninterrupted run."""
    spec = spec_for(5, 8, 2, 0.5, tmp_path)
    gateway = Gateway(max_concurrency=8)
    try:
        whole = DiffusionModel(spec, gateway.session(spec.llm, run_id="a", stream=5))
        for day in range(2):
            whole.step_index = day
            whole.step()
        first = DiffusionModel(spec, gateway.session(spec.llm, run_id="b", stream=5))
        first.step_index = 0
        first.step()
        saved = checkpoint.loads(checkpoint.dumps(first.capture()))
        second = DiffusionModel(spec, gateway.session(spec.llm, run_id="c", stream=5))
        second.restore(saved)
        second.step_index = 1
        second.step()
    finally:
        gateway.close()
    for a, b in zip(whole.villagers, second.villagers, strict=True):
        assert (a.informed, a.aware, a.known) == (b.informed, b.aware, b.known)
        assert [r.text for r in a.mind.stream.records] == [r.text for r in b.mind.stream.records]


def test_curve_starts_from_the_seeds(tmp_path):
    """Day 0 of the awareness curve is the seeded share; later days come from the interviews."""
    result = simsocial.run(spec_for(2, 6, 2, 0.5, tmp_path, seeds=2))
    curve = awareness(load_run(result.run_dir))
    assert curve["day"].tolist() == [0, 1, 2] and curve["true"].iloc[0] == pytest.approx(2 / 6)
    assert np.all(np.diff(curve["true"]) >= 0)


def test_too_many_seeds_is_a_located_error():
    with pytest.raises(SimsocialError, match=r"diffusion.seeds: must be at most the number"):
        parse_scenario(
            {"name": "d", "kind": "diffusion", "network": {"n": 4}, "diffusion": {"seeds": 5}}
        )


def test_a_persona_that_pins_its_own_model_talks_through_it(tmp_path):
    """One population, two models: the pinned persona's asks go to its model, the rest to the
    run's, all in one llm_calls table and one manifest."""
    people = tmp_path / "people.yaml"
    people.write_text(
        "- {name: Ada Quill, description: a baker}\n"
        "- {name: Bo Reyes, description: a farmer, model: 'scripted/fixed?text=hello there'}\n"
    )
    spec = spec_for(1, 4, 1, 1.0, tmp_path, personas=str(people))
    result = simsocial.run(spec)
    assert result.status == "completed"
    assert result.manifest["persona_models"] == {"Bo Reyes": "scripted/fixed?text=hello there"}
    agents = load_run(result.run_dir).agents
    (bo,) = set(agents.loc[agents["name"] == "Bo Reyes", "agent_id"])
    calls = result.llm_calls
    calls = calls[calls["verb"] != "embed"]  # embeddings name the embedder, not a persona
    pinned = calls["model"] == "scripted/fixed?text=hello there"
    assert pinned.any() and not pinned.all()
    assert set(calls.loc[pinned, "agent_id"]) == {bo}
    assert set(calls.loc[calls["agent_id"] == bo, "model"]) == {"scripted/fixed?text=hello there"}


def test_a_broadcast_intervention_informs_its_receivers_from_that_day(tmp_path):
    """What if the news is broadcast to two villagers on day 2? With no passing on (p = 0)
    exactly the seed and the receivers end up informed, and they say so in the interviews."""
    data = spec_for(3, 6, 3, 0.0, tmp_path).model_dump(mode="json")
    data["interventions"] = [
        {"at": 1, "do": "broadcast", "select": {"random": 2},
         "message": "Radio: Olivia is running for mayor."}
    ]  # fmt: skip
    result = simsocial.run(parse_scenario(data))
    assert result.status == "completed"
    run = load_run(result.run_dir)
    told = run.payloads("told")
    received = told[told["from"] == "broadcast"]
    assert len(received) == 2 and set(received["step"]) == {1}
    model = run.model.set_index("day")
    seeded = len(run.payloads("seeded"))
    informed_end = seeded + int(received["first_time"].sum())
    assert model.loc[1, "true_informed_fraction"] == pytest.approx(seeded / 6)
    assert model.loc[3, "true_informed_fraction"] == pytest.approx(informed_end / 6)
    assert model.loc[3, "aware_fraction"] == model.loc[3, "true_informed_fraction"]


def test_reflection_ablation_changes_what_the_twin_remembers(tmp_path):
    """The gossip twin rates the news 9, so at a threshold of 10 its villagers reflect: insights
    are stored as memories and cost 'mind' calls. `--set mind.reflection=false` stores none and
    makes none; neither run has a missing rating or any other mind failure."""

    def run(reflection: str):
        spec = load_scenario(
            EXAMPLE,
            [
                f"llm.model={GOSSIP.format(p=1.0)}",
                "llm.embedding_model=hash",
                "network.n=6",
                "mind.reflection_threshold=10",
                f"mind.reflection={reflection}",
                f"outputs.dir={tmp_path / reflection}",
                "outputs.report=false",
            ],
        )
        result = simsocial.run(spec)
        assert result.status == "completed" and result.manifest["mind_failures"] == {}
        return result.manifest["calls"], load_run(result.run_dir).agents

    on_calls, on_agents = run("true")
    off_calls, off_agents = run("false")
    assert on_calls["reflections"] > 0 and on_calls["by_kind"]["mind"] > 0
    assert off_calls["reflections"] == 0 and off_calls["by_kind"]["mind"] == 0
    assert on_agents["memories"].sum() > off_agents["memories"].sum()


def test_a_dead_model_is_counted_in_the_manifest_not_rated_three(tmp_path):
    """Every call fails (the model alone, without the runner's own stopping rules): no memory
    gets a made-up rating, nobody is called aware or unaware, and the manifest extras count the
    unrated memories, failed importance batches and unanswered interviews."""
    spec = spec_for(4, 4, 1, 0.5, tmp_path)
    llm = spec.llm.model_copy(update={"model": "scripted/random?fail=1", "retries": 0})
    gateway = Gateway(max_concurrency=8)
    try:
        model = DiffusionModel(spec, gateway.session(llm, run_id="dead", stream=4))
        model.step_index = 0
        model.step()
    finally:
        gateway.close()
    failures = model.manifest_extras()["mind_failures"]
    assert failures["unrated_memories"] > 0 and failures["importance_no_answer"] > 0
    assert failures["interview_news_unanswered"] == 4
    assert failures["interview_acquaintances_unanswered"] == 8  # start and end of the run
    assert all(a.aware is None for a in model.villagers)
    model_reporters, _ = model.reporters()
    assert model_reporters["unanswered"](model) == 4
    assert model_reporters["missed"](model) == 0  # a seeded villager without a reply is no miss
    records = [r for a in model.villagers for r in a.mind.stream.records]
    assert records and all(r.importance is None for r in records)


def test_persona_demographics_are_agent_columns_for_subgroup_views(tmp_path):
    """Every demographic key of the persona file is an agents.parquet column (None for the
    generated villagers without one), and a custom metric can aggregate it."""
    spec = simsocial.load_scenario(
        EXAMPLE,
        overrides=[
            "llm.model=scripted/gossip?about=mayor&p=1",
            f"outputs.dir={tmp_path}",
            "outputs.report=false",
            "metrics={mean_age: {mean: age}}",
        ],
    )
    result = simsocial.run(spec)
    agents = result.agents
    first = agents[agents.step == agents.step.max()].set_index("name")
    assert first.loc["Sam Moore", "age"] == 67 and first.loc["Sam Moore", "occupation"] == "retired"
    assert set(first["occupation"].dropna()) >= {"student", "retired"}
    ages = first["age"].dropna()
    assert result.model["mean_age"].iloc[-1] == pytest.approx(ages.mean())
