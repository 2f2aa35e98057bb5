"""Majority-opinion dynamics as a Mesa model (De Marzo, Castellano, Garcia, arXiv 2409.02822).

Experiment A (adoption): each step is one grid value m; `queries` respondents each see a group of
N friends, N_A holding opinion A and N_B opinion B with m = (N_A - N_B) / N, listed as
`<name>: <label>` lines in shuffled order with fresh random names, the label of A random per query.
Experiment B (dynamics): agents on a network start at m0; one step is N single-agent updates in
random order (with repeats, as in the paper), each agent adopting what the model replies after
seeing its neighbours; the run stops at consensus |m| = 1.
"""

from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np

from simsocial.agents import LLMAgent
from simsocial.interventions import InterventionError
from simsocial.llm import Ask, Session
from simsocial.model import EventSink, SimModel
from simsocial.networks import build_network, node_traits
from simsocial.scenarios.opinion.spec import OpinionSpec
from simsocial.state import Stateful

LETTERS = string.ascii_lowercase
# A `broadcast` intervention's message, shown once at the top of the receiver's next prompt.
NEWS_NOTE = "You have just read this news: {message}\n\n"


@lru_cache(maxsize=4)
def _name_table(low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every name of `low`..`high` letters, with each length's offset and count in the table."""
    lengths = range(low, high + 1)
    tables = [["".join(p) for p in product(LETTERS, repeat=n)] for n in lengths]
    sizes = np.array([len(t) for t in tables])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.array([name for t in tables for name in t]), offsets, sizes


def random_names(rng: np.random.Generator, count: int, lengths: tuple[int, int]) -> list[str]:
    """`count` distinct random lowercase names; each length in `lengths` equally likely."""
    low, high = lengths
    if high > 4:  # too many strings to tabulate: spell them out
        spelled: set[str] = set()
        while len(spelled) < count:
            size = int(rng.integers(low, high + 1))
            spelled.add("".join(rng.choice(list(LETTERS), size=size)))
        return sorted(spelled)  # sorted: set order depends on the process's hash seed
    table, offsets, sizes = _name_table(low, high)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        need = count - len(names)
        which = rng.integers(0, len(sizes), size=need)
        picks = offsets[which] + (rng.random(need) * sizes[which]).astype(np.int64)
        for name in table[picks].tolist():
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names[:count]


class OpinionAgent(Stateful, LLMAgent):
    """One voice: a respondent (adoption) or a node of the network (dynamics)."""

    model: OpinionModel
    STATE = ("opinion", "zealot", "note")

    def __init__(self, model: OpinionModel, opinion: str = "A"):
        super().__init__(model)
        self.opinion = opinion
        self.zealot = False  # committed: never changes opinion, and is never asked
        self.note: str | None = None  # a broadcast message for the next prompt
        self.shown: dict[str, Any] = {}
        self.node: Any = None  # the network's id for this agent (None: added by an intervention)
        self.block: int | None = None  # its stochastic block, when the network has blocks

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


class OpinionModel(SimModel):
    """Both experiments; which one runs is `opinion.experiment`."""

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
        else:
            assert spec.network is not None
            self.graph = build_network(spec.network, seed=spec.seed)
            n = self.graph.number_of_nodes()
            n_a = round(n * (1 + self.params.initial_m) / 2)
            opinions = np.array(["A"] * n_a + ["B"] * (n - n_a))
            self.rng.shuffle(opinions)
            agents = [OpinionAgent(self, str(o)) for o in opinions]
            for u, agent in enumerate(agents):  # nodes 0..n-1; keep the original id and block
                for key, value in node_traits(self.graph, u).items():
                    setattr(agent, key, value)
            # graph nodes are 0..n-1; agents are addressed by unique_id in consult_sequential
            self.graph = self.graph.__class__(
                (agents[u].unique_id, agents[v].unique_id) for u, v in self.graph.edges()
            )
            self.graph.add_nodes_from(a.unique_id for a in agents)
            self.by_id = {a.unique_id: a for a in agents}
            self.n_a = n_a

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
            "zealots": lambda m: sum(1 for a in m.by_id.values() if a.zealot),
        }, {"opinion": "opinion", "zealot": "zealot", "node": "node", **self._block_reporter()}

    def _block_reporter(self) -> dict[str, str]:
        """agents.parquet gets `block` when the network is a stochastic block model."""
        network = self.spec.network
        return {"block": "block"} if network and network.generator == "stochastic_block" else {}

    def prompt_templates(self) -> dict[str, str]:
        return {
            name: hashlib.sha256(text.encode()).hexdigest()[:12]
            for name, text in (("opinion.template", self.params.template), ("news", NEWS_NOTE))
        }

    # --- what an agent sees -------------------------------------------------------------

    def friends_of(self, agent: OpinionAgent) -> tuple[str, dict[str, Any]]:
        """The friend list of one query, and what was shown (for the event log)."""
        if self.adoption:
            n_a, n = self.shown_a, self.params.group_size
            opinions = ["A"] * n_a + ["B"] * (n - n_a)
        else:
            opinions = [self.by_id[i].opinion for i in self.graph.neighbors(agent.unique_id)]
        first, second = self.params.labels
        label_a, label_b = (first, second) if self.rng.random() < 0.5 else (second, first)
        order = self.rng.permutation(len(opinions))
        if self.params.naming == "random":
            names = random_names(self.rng, len(opinions), self.params.name_length)
        else:
            names = [f"agent{i}" for i in range(len(opinions))]
        label = {"A": label_a, "B": label_b}
        lines = "\n".join(f"{names[j]}: {label[opinions[i]]}" for j, i in enumerate(order))
        return lines, {
            "label_a": label_a,
            "label_b": label_b,
            "n_a": opinions.count("A"),
            "n": len(opinions),
        }

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
            self.consult(self.agents)
            self._after_update(None)
        else:
            n = len(self.by_id)
            ids = np.fromiter(self.by_id, dtype=np.int64)
            order = ids[self.rng.integers(0, n, size=n)]
            self.consult_sequential(order.tolist(), after_each=self._after_update)
        if self.consensus_at is not None:
            self.done = True

    def record_reply(self, agent: OpinionAgent, adopted: str | None, answer: Any) -> None:
        shown = agent.shown
        if self.adoption:
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
            return
        old = agent.opinion
        if adopted is not None and adopted != old:
            agent.opinion = adopted
            self.n_a += 1 if adopted == "A" else -1
        self.updates += 1
        self.log(
            "update",
            {
                "t": self.updates,
                "old": old,
                "new": agent.opinion,
                "m": self.magnetisation,
                "failed": adopted is None,
            },
            agent_id=int(agent.unique_id),
        )

    def _after_update(self, agent: LLMAgent | None) -> bool:
        if abs(self.magnetisation) >= 1.0 and self.consensus_at is None:
            self.consensus_at = self.updates
            n = len(self.by_id)
            self.log(
                "consensus",
                {"t": self.updates, "tc_over_n": self.updates / n, "m": self.magnetisation},
            )
            return True
        return False

    def count(self, opinion: str) -> int:
        return self.n_a if opinion == "A" else len(self.by_id) - self.n_a

    @property
    def magnetisation(self) -> float:
        if self.adoption:
            return self.current_m
        return (2 * self.n_a - len(self.by_id)) / len(self.by_id)

    # --- intervention hooks (dynamics only: adoption respondents have no network) ---------

    def _dynamics(self, what: str) -> None:
        if self.adoption:
            raise InterventionError(f"{what} needs opinion.experiment: dynamics")

    def intervention_agents(self) -> dict[int, Any]:
        return super().intervention_agents() if self.adoption else dict(self.by_id)

    def agents_changed(self, ids: list[int]) -> None:
        bad = sorted({str(a.opinion) for a in self.agents if a.opinion not in ("A", "B")})
        if bad:
            raise InterventionError(f"opinion must be 'A' or 'B', got {bad}")
        if not self.adoption:
            self.n_a = sum(1 for a in self.by_id.values() if a.opinion == "A")

    def add_agent(self, state: dict[str, Any], neighbours: list[int]) -> int:
        self._dynamics("add_agents")
        agent = OpinionAgent(self, str(state.get("opinion", "A")))
        for key, value in state.items():
            if not hasattr(agent, key):
                agent.remove()
                raise InterventionError(f"opinion agents have no attribute '{key}'")
            setattr(agent, key, value)
        self.by_id[agent.unique_id] = agent
        self.graph.add_node(agent.unique_id)
        self.graph.add_edges_from((agent.unique_id, j) for j in neighbours)
        return int(agent.unique_id)

    def remove_agent(self, agent_id: int) -> None:
        self._dynamics("remove_agents")
        self.graph.remove_node(agent_id)
        self.by_id.pop(agent_id).remove()

    def deliver(self, ids: list[int], message: str) -> None:
        agents = self.intervention_agents()
        for i in ids:
            agents[i].note = message

    # --- checkpoint state -------------------------------------------------------------------

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)  # STATE fields, then every agent's opinion, zealot and note
        if not self.adoption:
            self.n_a = sum(1 for a in self.by_id.values() if a.opinion == "A")

    def summary(self) -> dict[str, Any]:
        if self.adoption:
            return {
                "m": self.current_m,
                "p_a": self.counts["A"] / max(1, self.counts["A"] + self.counts["B"]),
            }
        return {"m": round(self.magnetisation, 3), "updates": self.updates}
