"""Majority-opinion dynamics as a Mesa model (De Marzo, Castellano, Garcia, arXiv 2409.02822).

Experiment A (adoption): each step is one grid value m; `queries` respondents each see a group of
N friends, N_A holding opinion A and N_B opinion B with m = (N_A - N_B) / N, listed as
`<name>: <label>` lines in shuffled order with fresh random names, the label of A random per query.
Experiment B (dynamics): agents on a network start at m0; one step is N single-agent updates in
random order (with repeats, as in the paper), each agent adopting what the model replies after
seeing its neighbours; the run stops at consensus |m| = 1. Respondents are Mesa agents; the
dynamics' agents are arrays, so that 10^6 of them fit in a few GB (`simsocial...dynamics`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from simsocial.agents import LLMAgent
from simsocial.interventions import InterventionError
from simsocial.llm import Ask, Session
from simsocial.model import EventSink, SimModel
from simsocial.networks import build_network
from simsocial.scenarios.opinion.dynamics import NEWS_NOTE, Dynamics
from simsocial.scenarios.opinion.naming import friend_lines, random_names
from simsocial.scenarios.opinion.population import OPINIONS, Population
from simsocial.scenarios.opinion.spec import OpinionSpec
from simsocial.scenarios.opinion.topology import Topology, adjacency_of
from simsocial.state import Stateful

__all__ = ["OpinionAgent", "OpinionModel", "random_names"]


class OpinionAgent(Stateful, LLMAgent):
    """A respondent of the adoption experiment (dynamics agents are columns: `Population`)."""

    model: OpinionModel
    STATE = ("opinion", "zealot", "note")

    def __init__(self, model: OpinionModel, opinion: str = "A"):
        super().__init__(model)
        self.opinion = opinion
        self.zealot = False  # committed: never changes opinion, and is never asked
        self.note: str | None = None  # a broadcast message for the next prompt
        self.shown: dict[str, Any] = {}
        self.node: Any = None
        self.block: int | None = None

    def ask(self) -> Ask | None:
        if self.zealot:
            return None
        friends, self.shown = self.model.friends_of(self)
        prompt = self.model.params.template.format(friends=friends)
        if self.note is not None:
            prompt, self.note = NEWS_NOTE.format(message=self.note) + prompt, None
        return self.model.session.ask_choose(
            prompt,
            [self.shown["label_a"], self.shown["label_b"]],
            rng=self.model.rng,
            relabel=False,
            meta=self.meta(),
        )

    def receive(self, answer: Any) -> None:
        adopted = None if not answer.ok else ("A" if answer.index == 0 else "B")
        self.model.record_reply(self, adopted, answer)


class OpinionModel(Dynamics, SimModel):
    """Both experiments; which one runs is `opinion.experiment` (dynamics: `Dynamics`)."""

    spec: OpinionSpec
    STATE = ("updates", "consensus_at")

    def __init__(self, spec: OpinionSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.params = spec.opinion
        self.adoption = self.params.experiment == "adoption"
        self.has_starting_state = not self.adoption  # each step is its own poll at one m
        self.counts = {"A": 0, "B": 0, "failed": 0}
        self.updates = 0
        self.consensus_at: int | None = None
        if self.adoption:
            for _ in range(self.params.queries):
                OpinionAgent(self)
            self.target_m = self.params.grid[0]
            self.current_m, self.shown_a = self._realise(self.target_m)
            return
        assert spec.network is not None
        drawn = build_network(spec.network, seed=spec.seed)
        n = drawn.number_of_nodes()
        n_a = round(n * (1 + self.params.initial_m) / 2)
        opinions = np.array(["A"] * n_a + ["B"] * (n - n_a))
        self.rng.shuffle(opinions)
        self.population = Population.on_network(drawn, opinions == "B")
        adjacency = adjacency_of(drawn)
        del drawn  # networkx's dicts go before the arrays are sorted
        self.topology = Topology(adjacency, self.population.ids)
        self.n_a = n_a

    # --- tables ----------------------------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.adoption:
            return {
                "m": "current_m",
                "m_target": "target_m",
                "adopt_a": lambda m: m.counts["A"],
                "adopt_b": lambda m: m.counts["B"],
                "failed": lambda m: m.counts["failed"],
                "queries": lambda m: m.params.queries,
                "p_a": lambda m: m.counts["A"] / max(1, m.counts["A"] + m.counts["B"]),
            }, {}
        return {
            "m": "magnetisation",
            "n_a": lambda m: m.count("A"),
            "n_b": lambda m: m.count("B"),
            "updates": "updates",
            "consensus": lambda m: m.consensus_at is not None,
            "zealots": lambda m: int(np.count_nonzero(m.population.zealot)),
        }, {}

    def agent_columns(self) -> dict[str, Any] | None:
        """agents.parquet: agent_id, opinion, zealot, node (and block for a block model)."""
        if self.adoption:
            return None
        return {"agent_id": self.population.ids, **self.population.columns()}

    def prompt_templates(self) -> dict[str, str]:
        return {
            name: hashlib.sha256(text.encode()).hexdigest()[:12]
            for name, text in (("opinion.template", self.params.template), ("news", NEWS_NOTE))
        }

    # --- what an agent sees -------------------------------------------------------------

    def friends_of(self, agent: OpinionAgent) -> tuple[str, dict[str, Any]]:
        """The friend list of one adoption query, and what was shown (for the event log)."""
        n_a, n = self.shown_a, self.params.group_size
        params = self.params
        lines, label_a, label_b = friend_lines(
            self.rng, [0] * n_a + [1] * (n - n_a), params.labels, params.naming, params.name_length
        )
        return lines, {"label_a": label_a, "label_b": label_b, "n_a": n_a, "n": n}

    def _realise(self, target_m: float) -> tuple[float, int]:
        """The m a group of N can actually show for a target m, and its N_A."""
        n = self.params.group_size
        n_a = round(n * (1 + target_m) / 2)
        return (2 * n_a - n) / n, n_a

    # --- stepping ---------------------------------------------------------------------------

    def step(self) -> None:
        if self.adoption:
            self.target_m = self.params.grid[self.step_index]
            self.current_m, self.shown_a = self._realise(self.target_m)
            self.counts = {"A": 0, "B": 0, "failed": 0}
            self.consult(self.agents)
            if self.step_index + 1 >= len(self.params.grid):
                self.done = True
        elif self.updates == 0 and self._after_update(None):
            self.done = True  # consensus from the start: T_c = 0, and no agent is asked
        elif self.spec.update == "synchronous":
            self._synchronous()
            self._after_update(None)
        else:
            self._sequential()
        if self.consensus_at is not None:
            self.done = True

    def record_reply(self, agent: OpinionAgent, adopted: str | None, answer: Any) -> None:
        """An adoption reply: counted and logged (the respondent keeps no opinion)."""
        shown = agent.shown
        self.counts[adopted or "failed"] += 1
        self.log(
            "reply",
            {
                "m": self.current_m,
                "majority_label": shown["label_a"] if self.current_m >= 0 else shown["label_b"],
                "reply": answer.record.reply,
                "adopted": adopted,
            },
            agent_id=int(agent.unique_id),
        )

    def _after_update(self, agent: LLMAgent | None) -> bool:
        if abs(self.magnetisation) >= 1.0 and self.consensus_at is None:
            self.consensus_at = self.updates
            n = len(self.population)
            self.log(
                "consensus",
                {"t": self.updates, "tc_over_n": self.updates / n, "m": self.magnetisation},
            )
            return True
        return False

    def count(self, opinion: str) -> int:
        return self.n_a if opinion == "A" else len(self.population) - self.n_a

    @property
    def magnetisation(self) -> float:
        if self.adoption:
            return self.current_m
        return (2 * self.n_a - len(self.population)) / len(self.population)

    # --- intervention hooks (dynamics only: adoption respondents have no network) ---------

    def _dynamics(self, what: str) -> None:
        if self.adoption:
            raise InterventionError(f"{what} needs opinion.experiment: dynamics")

    def intervention_agents(self) -> dict[int, Any]:
        return super().intervention_agents() if self.adoption else self.population.views()

    def agents_changed(self, ids: list[int]) -> None:
        if not self.adoption:
            self.n_a = self.population.count_a()  # views checked each opinion as it was set
            return
        bad = sorted({str(a.opinion) for a in self.agents if a.opinion not in OPINIONS})
        if bad:
            raise InterventionError(f"opinion must be 'A' or 'B', got {bad}")

    def add_agent(self, state: dict[str, Any], neighbours: list[int]) -> int:
        self._dynamics("add_agents")
        graph = self.graph
        assert graph is not None
        agent = self.population.add(str(state.get("opinion", "A")))
        for key, value in state.items():
            if not hasattr(agent, key):
                self.population.remove(agent.unique_id)
                raise InterventionError(f"opinion agents have no attribute '{key}'")
            setattr(agent, key, value)
        graph.add_node(agent.unique_id)
        graph.add_edges_from((agent.unique_id, j) for j in neighbours)
        return agent.unique_id

    def remove_agent(self, agent_id: int) -> None:
        self._dynamics("remove_agents")
        graph = self.graph
        assert graph is not None
        graph.remove_node(agent_id)
        self.population.remove(agent_id)

    def deliver(self, ids: list[int], message: str) -> None:
        if self.adoption:
            agents = self.intervention_agents()
            for i in ids:
                agents[i].note = message
            return
        for i in ids:
            self.population.position(i)  # an unknown id is a KeyError, as it always was
            self.population.notes[i] = message

    # --- checkpoint state -------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if not self.adoption:
            state["population"] = self.population.get_state()
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        if self.adoption:
            super().set_state(state)  # STATE fields, then every respondent's
            return
        state = dict(state)
        agents = state.pop("agents", None)  # a checkpoint from before `Population`
        super().set_state(state)
        if "population" in state:
            self.population.set_state(state["population"])
        else:
            views = self.population.views()
            for agent_id, saved in (agents or {}).items():
                for key in OpinionAgent.STATE:
                    setattr(views[int(agent_id)], key, saved[key])
        self.n_a = self.population.count_a()

    def summary(self) -> dict[str, Any]:
        if self.adoption:
            return {
                "m": self.current_m,
                "p_a": self.counts["A"] / max(1, self.counts["A"] + self.counts["B"]),
            }
        return {"m": round(self.magnetisation, 3), "updates": self.updates}
