"""The registry of scenario kinds: kind name -> where its spec, model and analysis live.

Entries are import paths, not objects, so that `simsocial validate` and `--help` never import
mesa or the plotting stack. What each part must provide is declared here, not guessed:

- spec: a `ScenarioSpec` subclass with the kind's own block and its `vocabulary()`;
- model: a `SimModel` subclass; the intervention hooks it offers are the protocols of
  `simsocial.hooks` it implements;
- analysis: a module with `summarize(run) -> dict` and `figures(run) -> list[(name, Figure)]`
  (`Analysis` below), checked when it is loaded;
- trajectory: the `model.parquet` column a fan of branches is drawn for;
- outcomes: the summary metrics that say what came out of a run, which sweeps compare by default
  (the rest of a summary counts what the model did: asks, updates, retries, sizes).

"Writing a scenario kind" in the README walks through a complete minimal kind.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Analysis(Protocol):
    """What a kind's analysis module provides to reports, sweeps and notebooks."""

    def summarize(self, run: Any) -> dict[str, Any]: ...

    def figures(self, run: Any) -> list[tuple[str, Any]]: ...


@dataclass(frozen=True)
class ScenarioKind:
    name: str
    summary: str
    spec: str  # "module:Class" of the ScenarioSpec subclass
    model: str  # "module:Class" of the SimModel subclass
    analysis: str  # module with summarize(run) -> dict and figures(run) -> list
    trajectory: str  # model.parquet column drawn for a fan of branches
    outcomes: tuple[str, ...] = ()  # summary metrics a sweep compares by default; () = every one

    def load(self, what: str) -> Any:
        target = getattr(self, what)
        module, _, attr = target.partition(":")
        loaded = importlib.import_module(module)
        found = getattr(loaded, attr) if attr else loaded
        if what == "analysis" and not isinstance(found, Analysis):
            raise TypeError(f"{target}: a kind's analysis needs summarize(run) and figures(run)")
        return found


def register(kind: ScenarioKind) -> ScenarioKind:
    """Add a scenario kind (e.g. from a plugin or a test); its name must be new."""
    if kind.name in KINDS:
        raise ValueError(f"scenario kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


KINDS: dict[str, ScenarioKind] = {
    "opinion": ScenarioKind(
        name="opinion",
        summary="Majority-opinion dynamics (De Marzo et al. 2024): adoption curve, consensus.",
        spec="simsocial.scenarios.opinion.spec:OpinionSpec",
        model="simsocial.scenarios.opinion.model:OpinionModel",
        analysis="simsocial.analysis.opinion",
        trajectory="m",
        # where opinion ended (its sign: which side won), whether and how fast consensus came;
        # adoption experiments: the majority-force strength. Not updates/queries: zealots are
        # never asked, so those counts fall with the zealot share while nothing else changes.
        outcomes=("final_m", "consensus", "tc_over_n", "beta_mle", "critical_size"),
    ),
    "growth": ScenarioKind(
        name="growth",
        summary="LLM-driven network growth (De Marzo et al. 2023): degree tail, name prior.",
        spec="simsocial.scenarios.growth.spec:GrowthSpec",
        model="simsocial.scenarios.growth.model:GrowthModel",
        analysis="simsocial.analysis.growth",
        trajectory="max_degree",
        # the shape of the grown network: tail exponent, the power-law vs exponential ratio,
        # centralisation and structure. Not picks_*/failed_*/llm_calls_per_node (accounting) nor
        # the ba_*/uniform_* nulls (reference values, not outcomes of the run).
        outcomes=("alpha", "r_exp", "hub_share", "gini", "clustering", "assortativity"),
    ),
    "diffusion": ScenarioKind(
        name="diffusion",
        summary="Information diffusion among generative agents (Park et al. 2023): awareness.",
        spec="simsocial.scenarios.diffusion.spec:DiffusionSpec",
        model="simsocial.scenarios.diffusion.model:DiffusionModel",
        analysis="simsocial.analysis.diffusion",
        trajectory="aware_fraction",
        # how far the news truly spread, what agents said, invented knowledge, how the network
        # densified. Not conversations/utterances/calls_*: they count activity, not its effect.
        outcomes=("aware_end_true", "aware_end_reported", "hallucinated_end", "density_end"),
    ),
    "forum": ScenarioKind(
        name="forum",
        summary="SimReddit (Park et al. 2022): persona threads, votes, rule judge, realism.",
        spec="simsocial.scenarios.forum.spec:ForumSpec",
        model="simsocial.scenarios.forum.model:ForumModel",
        analysis="simsocial.analysis.forum",
        trajectory="replies",
        # what the threads came out like: length, who speaks, rule-breaking, how they were
        # received, and whether a judge could tell them from real ones. Not posts/votes counts.
        outcomes=(
            "mean_replies",
            "new_speaker_share",
            "violation_rate",
            "score_mean",
            "realism_error",
        ),
    ),
    "survey": ScenarioKind(
        name="survey",
        summary="Persona fidelity audit (Argyle et al. 2023): personas vs their survey answers.",
        spec="simsocial.scenarios.survey.spec:SurveySpec",
        model="simsocial.scenarios.survey.model:SurveyModel",
        analysis="simsocial.analysis.survey",
        trajectory="accuracy",
        # how closely the answers match the personas' own: agreement beyond chance, distance
        # to the true distribution, calibration, and the weakest subgroup's gap. Not asked or
        # failed counts (what the run did, not what it found).
        outcomes=("accuracy_mean", "kappa_mean", "tvd_mean", "brier_mean", "weakest_gap"),
    ),
    "feed": ScenarioKind(
        name="feed",
        summary="Twitter-like feeds of ANES personas (Törnberg et al. 2023): E-I, toxicity.",
        spec="simsocial.scenarios.feed.spec:FeedScenarioSpec",
        model="simsocial.scenarios.feed.model:FeedModel",
        analysis="simsocial.analysis.feed",
        trajectory="ei_likes",
        # who engages across the party divide, how uncivil it gets, how unequal attention is,
        # and what the ranker showed. Not posts/likes/active: they count activity.
        outcomes=(
            "ei_likes",
            "ei_comments",
            "ei_reposts",
            "ei_follows",
            "toxicity_mean",
            "offensive_prob_mean",
            "gini_followers",
            "gini_reposts",
            "outparty_shown",
        ),
    ),
    "media": ScenarioKind(
        name="media",
        summary="Generative feedback loop: an audience's likes train LoRA adapters (drift).",
        spec="simsocial.scenarios.media.spec:MediaSpec",
        model="simsocial.scenarios.media.model:MediaModel",
        analysis="simsocial.analysis.media",
        trajectory="taste_share",
        outcomes=("drift", "diversity_last", "fidelity_last", "feature_distance_last"),
    ),
}
