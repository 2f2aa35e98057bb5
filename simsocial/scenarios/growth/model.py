"""LLM-driven network growth as a Mesa model (De Marzo, Pietronero, Garcia, arXiv 2312.06619).

From a complete seed graph of m + 1 nodes, one node arrives at a time and links to m existing
nodes. For each of its m picks it is shown the candidates (all nodes, or a sample of K; name and
follower count, both switchable) in shuffled order, minus those it already picked, and the model
names one. A reply that names no candidate, an already picked one or the node itself is re-asked
once with a note; a second failure is recorded and replaced by the spec's fallback rule. Every
arrival is an `arrival` event, so the network at any step can be rebuilt from the events.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from importlib import resources
from typing import Any

import numpy as np

from simsocial.agents import LLMAgent
from simsocial.llm import Ask, Session
from simsocial.llm.choice import make_labels, parse_label
from simsocial.model import EventSink, SimModel
from simsocial.scenarios.growth.process import pick_index, sample_candidates, seed_graph
from simsocial.scenarios.growth.spec import REPAIR_NOTE, GrowthSpec

FAILURES = ("invalid", "duplicate", "self", "error")
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def first_names() -> list[str]:
    """The package's plain list of first names (simsocial/scenarios/growth/first_names.txt)."""
    text = resources.files(__package__).joinpath("first_names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def make_names(naming: str, count: int, rng: np.random.Generator, length: int = 6) -> list[str]:
    """`count` distinct single-token names for nodes 0..count-1 under a naming scheme."""
    if naming == "sequential":
        return [f"user{i}" for i in range(count)]
    if naming == "realistic":
        listed = first_names()
        pool = [listed[i] for i in rng.permutation(len(listed))]
        return [
            pool[i % len(pool)] + (str(i // len(pool) + 1) if i >= len(pool) else "")
            for i in range(count)
        ]
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = "".join(rng.choice(LETTERS, size=length))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


class Newcomer(LLMAgent):
    """The node arriving now: it asks for one pick at a time until it has m."""

    model: GrowthModel

    def __init__(self, model: GrowthModel, node: int, pool: list[int]):
        super().__init__(model)
        self.node = node
        self.pool = pool
        self.picked: list[int] = []
        self.via: list[str] = []
        self.failures: Counter[str] = Counter()
        self.retry: tuple[str, str] | None = None  # (reply, reason) of a failed first try
        self.offered: list[int] = []

    def ask(self) -> Ask:
        return self.model.ask_pick(self)

    def receive(self, answer: Any) -> None:
        self.model.take_pick(self, answer)

    def meta(self) -> dict[str, int]:
        return {"step": self.model.step_index, "agent_id": self.node}


class GrowthModel(SimModel):
    """Nodes arrive one at a time; `growth.arrivals_per_step` of them per model step."""

    spec: GrowthSpec
    STATE = ("size", "names", "counts")

    def __init__(self, spec: GrowthSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.params = spec.growth
        m, n = self.params.m, self.params.n
        self.graph = seed_graph(m)
        self.names = make_names(self.params.naming, n, self.rng, self.params.name_length)
        self.degrees = np.zeros(n, dtype=np.int64)
        self.degrees[: m + 1] = m
        self.size = m + 1
        self.counts: Counter[str] = Counter()

    # --- stepping ---------------------------------------------------------------------------

    def step(self) -> None:
        for _ in range(self.params.arrivals_per_step):
            if self.size >= self.params.n:
                break
            self.arrive()
        if self.size >= self.params.n:
            self.done = True

    def arrive(self) -> None:
        """One node joins: pick m targets (LLM, re-ask, fallback), link, log the arrival."""
        node = self.size
        cand = self.params.candidates
        if node == self.params.m + 1:
            self.log("seed", {"nodes": list(range(node)), "names": self.names[:node]})
        sampled = sample_candidates(self.rng, node, self.degrees, cand.max_shown, cand.sampling)
        pool = list(range(node)) if sampled is None else sampled.tolist()
        agent = Newcomer(self, node, pool)
        while len(agent.picked) < self.params.m:
            self.consult([agent])
        for target in agent.picked:
            self.graph.add_edge(node, target)
            self.degrees[target] += 1
        self.degrees[node] = self.params.m
        self.size += 1
        self.counts.update(agent.via)
        self.counts.update(agent.failures)
        self.log(
            "arrival",
            {
                "node": node,
                "name": self.names[node],
                "existing": node,
                "shown": None if sampled is None else pool,
                "picks": agent.picked,
                "via": agent.via,
                "failures": dict(agent.failures),
            },
            agent_id=node,
        )
        agent.remove()

    def ask_pick(self, agent: Newcomer) -> Ask:
        """The prompt for one pick: candidates not yet picked, shuffled, as the spec shows them."""
        cand = self.params.candidates
        remaining = [c for c in agent.pool if c not in agent.picked]
        order = self.rng.permutation(len(remaining))
        agent.offered = [remaining[i] for i in order]
        handles = (
            {c: self.names[c] for c in agent.offered}
            if cand.show_names
            else dict(zip(agent.offered, make_labels(len(agent.offered)), strict=True))
        )
        lines = []
        for c in agent.offered:
            text = handles[c] if cand.show_names else f"{handles[c]}) anonymous user"
            lines.append(f"{text} (followers: {self.degrees[c]})" if cand.show_degree else text)
        prompt = self.params.template.format(
            name=self.names[agent.node], m=self.params.m, candidates="\n".join(lines)
        )
        if agent.retry is not None:
            reply, reason = agent.retry
            prompt += REPAIR_NOTE.format(reply=reply, reason=reason)
        return self.session.ask_choose(
            prompt,
            agent.offered,
            rng=self.rng,
            relabel=False,
            render=handles.__getitem__,
            meta=agent.meta(),
        )

    def take_pick(self, agent: Newcomer, answer: Any) -> None:
        """Accept a valid pick; else re-ask once; else record and apply the fallback rule."""
        if answer.ok:
            agent.picked.append(int(answer.choice))
            agent.via.append("llm" if agent.retry is None else "retry")
            agent.retry = None
            return
        reply = answer.record.reply
        reason = self.classify(agent, reply)
        agent.failures[reason] += 1
        if agent.retry is None:
            agent.retry = (str(reply or ""), _REASONS[reason])
            return
        weights = (
            self.degrees[agent.offered].astype(float) if self.params.fallback == "degree" else None
        )
        agent.picked.append(agent.offered[pick_index(self.rng, weights, len(agent.offered))])
        agent.via.append("fallback")
        agent.retry = None

    def classify(self, agent: Newcomer, reply: str | None) -> str:
        """Why a reply named no candidate: no reply at all, itself, a node already picked."""
        if reply is None:
            return "error"
        if self.params.candidates.show_names:
            if parse_label(reply, [self.names[agent.node]]) is not None:
                return "self"
            if agent.picked and parse_label(reply, [self.names[c] for c in agent.picked]):
                return "duplicate"
        return "invalid"

    # --- hooks --------------------------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {
            "nodes": "size",
            "edges": lambda m: m.graph.number_of_edges(),
            "max_degree": lambda m: int(m.degrees[: m.size].max()),
            **{key: (lambda m, k=key: int(m.counts[k])) for key in ("llm", "retry", "fallback")},
            **{key: (lambda m, k=key: int(m.counts[k])) for key in FAILURES},
        }, {}

    def prompt_templates(self) -> dict[str, str]:
        return {
            name: hashlib.sha256(text.encode()).hexdigest()[:12]
            for name, text in (
                ("growth.template", self.params.template),
                ("growth.repair_note", REPAIR_NOTE),
            )
        }

    def remove_edges(self, edges: list[tuple[int, int]]) -> None:
        """Intervention hook: cut links and keep the follower counts shown in prompts true."""
        self.graph.remove_edges_from(edges)
        for u, v in edges:
            self.degrees[u] -= 1
            self.degrees[v] -= 1

    def get_state(self) -> dict[str, Any]:
        """The STATE fields, and the network as its edge list (degrees follow from it)."""
        return {**super().get_state(), "edges": list(self.graph.edges())}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.graph = seed_graph(self.params.m)
        self.graph.add_edges_from(state["edges"])
        self.degrees[:] = 0
        for node, degree in self.graph.degree():
            self.degrees[node] = degree

    def summary(self) -> dict[str, Any]:
        return {"nodes": self.size, "fallbacks": self.counts["fallback"]}


_REASONS = {
    "invalid": "it names none of the users listed",
    "duplicate": "you already chose that user",
    "self": "that is you",
    "error": "no reply came back",
}
