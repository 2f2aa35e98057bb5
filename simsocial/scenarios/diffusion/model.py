"""Information diffusion among generative agents as a Mesa model (Park et al. 2023, section 7).

One step is one simulated day: agents plan the day (if planning is on), then in each of
`rounds_per_day` rounds every agent talks with at most one neighbour (a random maximal matching)
for `turns` alternating utterances, each conditioned on memories retrieved through its `Mind`;
what was heard goes into the listener's memory stream, tagged with the speaker. At the end of the
day every agent is interviewed ("Do you know about <topic>?"), and on the first and last day also
asked whom they know. The ground truth is kept beside: an agent is informed when it was seeded or
an informed speaker said the news (all keywords) to it, so interview answers can be scored
(aware, hallucinated, missed). Every phase is each villager's rounds of asks (`simsocial.rounds`)
advanced together by `consult_rounds`: the asks of a turn, a rating pass, the reflections that
follow it or an interview go out in one gather per round, so a real model answers them
concurrently; this module never gathers itself.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from simsocial.llm import Session
from simsocial.model import EventSink, SimModel
from simsocial.networks import build_network, node_traits
from simsocial.personas import load
from simsocial.rounds import Rounds
from simsocial.scenarios.diffusion.interviews import (
    density,
    interview_acquaintances,
    interview_news,
)
from simsocial.scenarios.diffusion.process import random_matching
from simsocial.scenarios.diffusion.spec import DiffusionSpec
from simsocial.scenarios.diffusion.village import (
    ACQUAINTED,
    HEARD,
    Villager,
    failures,
    generate,
    mentions,
)

CALL_KINDS = ("utterance", "importance", "planning", "interview", "acquaintances", "mind")
# embeddings are counted beside the model calls (by_kind), not in the totals the paper compares
EMBEDDING = "embedding"


class DiffusionModel(SimModel):
    """N villagers on a network; one or more seeded with a piece of news."""

    spec: DiffusionSpec
    STATE = (
        "started", "pending", "calls", "conversations", "utterances", "told", "days",
        "density_start", "density_end",
    )  # fmt: skip

    def __init__(self, spec: DiffusionSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.params = spec.diffusion
        assert spec.network is not None
        graph = build_network(spec.network, seed=spec.seed)
        people = load(self.params.personas) if self.params.personas else []
        people = people[: graph.number_of_nodes()]
        taken = {p.name.casefold() for p in people}
        people += generate(self.rng, graph.number_of_nodes() - len(people), taken)
        agents = [Villager(self, p) for p in people]
        # a persona that pins its own model talks through it (same session, budget and log)
        self.pinned = {p.name: p.model for p in people if p.model and p.model != spec.llm.model}
        nodes = sorted(graph.nodes())
        for agent, u in zip(agents, nodes, strict=True):  # keep the network's id and block
            for key, value in node_traits(graph, u).items():
                setattr(agent, key, value)
        self.graph = graph.__class__(
            (agents[nodes.index(u)].unique_id, agents[nodes.index(v)].unique_id)
            for u, v in graph.edges()
        )
        self.graph.add_nodes_from(a.unique_id for a in agents)
        self.by_id: dict[int, Villager] = {a.unique_id: a for a in agents}
        self.by_name = {a.name.casefold(): a for a in agents}
        for i in self.rng.choice(len(agents), size=self.params.seeds, replace=False):
            agents[int(i)].seeded = agents[int(i)].informed = True
        self.calls: Counter[str] = Counter()
        self.conversations = 0
        self.utterances = 0
        self.told = 0
        self.started = False
        self.pending: dict[int, list[str]] = {}  # broadcasts heard at the start of the next day
        self.days = 0
        self.density_start: float | None = None
        self.density_end: float | None = None

    @property
    def villagers(self) -> list[Villager]:
        return list(self.by_id.values())

    # --- stepping -------------------------------------------------------------------------------

    def step(self) -> None:
        day_start = 24.0 * self.step_index
        if not self.started:
            self.setup(day_start)
        if self.pending:
            self.hear_broadcasts(day_start + 8.0)
        if self.spec.mind.planning:
            self.plan(day_start)
        for r in range(self.params.rounds_per_day):
            self.converse(r, day_start + 9.0 + 9.0 * r / self.params.rounds_per_day)
        interview_news(self, day_start + 21.0)
        self.days += 1
        if self.step_index + 1 >= self.spec.steps:
            self.density_end = interview_acquaintances(self, day_start + 22.0, "end")
            self.done = True

    def setup(self, now: float) -> None:
        """Seed the news and the first acquaintances; ask who knows whom before anyone talks."""
        self.started = True
        texts: dict[Villager, list[str]] = {a: [] for a in self.villagers}
        about: dict[Villager, list[str]] = {a: [] for a in self.villagers}
        for u, v in sorted(self.graph.edges()):
            if self.rng.random() < self.params.acquainted:
                a, b = self.by_id[u], self.by_id[v]
                for x, y in ((a, b), (b, a)):
                    texts[x].append(
                        ACQUAINTED.format(
                            name=x.name, other=y.name, description=y.persona.description
                        )
                    )
                    about[x].append(y.name)
                self.log("acquainted", {"a": a.name, "b": b.name})
        for agent in self.villagers:
            if agent.seeded:
                texts[agent].append(self.params.news)
                about[agent].append("")
                self.log("seeded", {"name": agent.name, "news": self.params.news}, agent.unique_id)
        self.remember(texts, about, now)
        self.density_start = interview_acquaintances(self, now, "start")

    def deliver(self, ids: list[int], message: str) -> None:
        """A `broadcast` intervention: the selected villagers hear `message` at the start of the
        day (before plans and talk); if it carries the news it informs them, as a telling does."""
        for i in ids:
            self.pending.setdefault(int(i), []).append(message)

    def hear_broadcasts(self, now: float) -> None:
        texts: dict[Villager, list[str]] = {}
        for i, messages in sorted(self.pending.items()):
            agent = self.by_id[i]
            texts[agent] = list(messages)
            if any(mentions(m, self.params.keywords) for m in messages):
                self.log(
                    "told",
                    {"from": "broadcast", "to": agent.name, "first_time": not agent.informed},
                    agent.unique_id,
                )
                agent.informed = True
        self.pending = {}
        self.remember(texts, {a: [""] * len(ts) for a, ts in texts.items()}, now)

    def consult_villagers(self, decisions: list[Rounds[Any]]) -> list[Any]:
        """`consult_rounds`, counting the embedding asks the minds made meanwhile."""
        before = sum(a.port.embeds for a in self.villagers)
        results = self.consult_rounds(decisions)
        self.calls[EMBEDDING] += sum(a.port.embeds for a in self.villagers) - before
        return results

    def plan(self, day_start: float) -> None:
        """Every agent's day plan, asked together (reflections so far feed it)."""
        agents = self.villagers
        self.consult_villagers([a.plan(day_start) for a in agents])
        self.calls["planning"] += len(agents)

    def converse(self, round_index: int, now: float) -> None:
        """One round: pair neighbours, talk turn by turn (all pairs together), then remember."""
        pairs = [(self.by_id[u], self.by_id[v]) for u, v in random_matching(self.rng, self.graph)]
        talks = []
        for u, v in pairs:
            first, second = (u, v) if self.rng.random() < 0.5 else (v, u)
            talks.append((first, second, []))
            self.conversations += 1
            self.log(
                "conversation",
                {"round": round_index, "hour": now % 24, "a": first.name, "b": second.name},
            )
        for turn in range(self.params.turns):
            turns = [(a, b, d) if turn % 2 == 0 else (b, a, d) for a, b, d in talks]
            answers = self.consult_villagers([s.speak(h, d, now) for s, h, d in turns])
            self.calls["utterance"] += len(turns)
            for (speaker, listener, dialogue), answer in zip(turns, answers, strict=True):
                self.hear(speaker, listener, dialogue, answer.text, turn)
        texts: dict[Villager, list[str]] = {}
        about: dict[Villager, list[str]] = {}
        for a, b, dialogue in talks:
            for listener, partner in ((a, b), (b, a)):
                heard = [
                    HEARD.format(speaker=s, listener=listener.name, text=t)
                    for s, t in dialogue
                    if s == partner.name
                ]
                texts[listener] = heard
                about[listener] = [partner.name] * len(heard)
        self.remember(texts, about, now + 0.5, kind="conversation")

    def hear(
        self,
        speaker: Villager,
        listener: Villager,
        dialogue: list[tuple[str, str]],
        text: str | None,
        turn: int,
    ) -> None:
        """Log an utterance; an informed speaker saying the news informs the listener."""
        said = " ".join((text or "").split())
        self.utterances += 1
        news = bool(said) and mentions(said, self.params.keywords)
        self.log(
            "utterance",
            {
                "speaker": speaker.name,
                "listener": listener.name,
                "turn": turn,
                "text": said,
                "failed": text is None,
                "mentions_news": news,
            },
            speaker.unique_id,
        )
        if not said:
            return
        dialogue.append((speaker.name, said))
        if news and speaker.informed:
            self.told += 1
            self.log(
                "told",
                {"from": speaker.name, "to": listener.name, "first_time": not listener.informed},
                listener.unique_id,
            )
            listener.informed = True

    def remember(
        self,
        texts: dict[Villager, list[str]],
        about: dict[Villager, list[str]],
        now: float,
        kind: str = "observation",
    ) -> None:
        """Observe into each mind, each text tagged with the person it is about ("" for none);
        the ratings and embeddings of all agents go out together, then their reflections."""
        if not self.spec.mind.memory:
            return
        agents = [a for a, ts in texts.items() if ts]
        counts = self.consult_villagers(
            [a.remember(texts[a], about.get(a) or [""] * len(texts[a]), now, kind) for a in agents]
        )
        self.calls["importance"] += sum(c[0] for c in counts)
        self.calls["mind"] += sum(c[1] for c in counts)

    def density(self) -> float:
        return density(self.villagers)

    def meta(self, agent: Villager) -> dict[str, int]:
        return {"step": self.step_index, "agent_id": int(agent.unique_id)}

    # --- hooks ------------------------------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        def share(flag: str) -> Any:
            return lambda m: sum(bool(getattr(a, flag)) for a in m.villagers) / len(m.by_id)

        return {
            "day": lambda m: m.step_index + 1,
            "aware_fraction": share("aware"),
            "true_informed_fraction": share("informed"),
            "hallucinated": lambda m: sum(bool(a.aware and not a.informed) for a in m.villagers),
            "missed": lambda m: sum(a.informed and a.aware is False for a in m.villagers),
            "unanswered": lambda m: sum(a.aware is None for a in m.villagers),
            "density": lambda m: m.density(),
            "conversations": "conversations",
            "utterances": "utterances",
            "told": "told",
            "llm_asks": lambda m: sum(m.calls[k] for k in CALL_KINDS),
        }, {
            "name": "name",
            "informed": "informed",
            "aware": "aware",
            "memories": lambda a: len(a.mind.stream),
            "node": "node",
            **({"block": "block"} if self.spec.network.generator == "stochastic_block" else {}),
            **self.demographic_reporters(),
        }

    def demographic_reporters(self) -> dict[str, Any]:
        """One agents.parquet column per demographic key any persona has (None where a persona
        lacks it), so subgroup views are one groupby away; a key whose values mix numbers and
        text is written as text (a Parquet column has one type)."""
        values: dict[str, set[type]] = {}
        for agent in self.villagers:
            for key, value in agent.persona.demographics.items():
                values.setdefault(key, set()).add(type(value))
        reporters = {}
        for key in sorted(set(values) - {"name", "node", "block", "informed", "aware"}):
            as_text = len(values[key] - {bool}) > 1

            def column(agent: Any, key: str = key, as_text: bool = as_text) -> Any:
                value = agent.persona.demographics.get(key)
                return str(value) if as_text and value is not None else value

            reporters[key] = column
        return reporters

    def manifest_extras(self) -> dict[str, Any]:
        """LLM asks per agent-step by purpose, for comparison with the paper's call counts."""
        agent_steps = max(1, len(self.by_id) * self.days)
        reflections = sum(a.mind.reflector.stats.reflections for a in self.villagers)
        total = sum(self.calls[k] for k in CALL_KINDS)
        return {
            "persona_models": self.pinned,
            "calls": {
                "by_kind": {k: int(self.calls[k]) for k in (*CALL_KINDS, EMBEDDING)},
                "total": int(total),
                "agent_steps": agent_steps,
                "per_agent_step": total / agent_steps,
                "per_utterance": (total - self.calls["interview"] - self.calls["acquaintances"])
                / max(1, self.utterances),
                "reflections": reflections,
                "per_reflection": self.calls["mind"] / reflections if reflections else None,
            },
            "mind_failures": failures(self.villagers),
        }

    def summary(self) -> dict[str, Any]:
        n = len(self.by_id)
        return {"informed": sum(a.informed for a in self.villagers), "of": n, "told": self.told}
