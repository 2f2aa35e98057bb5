"""A complete scenario kind in one file: the README's "Writing a scenario kind" walks through it.

Voters are asked each step whether they approve of a proposal; those who approve are asked why
(a second round, only for them). The model reports the approval share. Its deterministic twin
has a known answer: `scripted/fixed?answer=yes` approves always, `scripted/random` half the time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveInt

from simsocial.agents import LLMAgent
from simsocial.model import SimModel
from simsocial.rounds import Rounds
from simsocial.spec_base import StrictModel
from simsocial.spec_models import ScenarioSpec
from simsocial.state import Stateful


class PollBlock(StrictModel):
    """The kind's own block of the scenario file (`poll:`)."""

    voters: PositiveInt = Field(20, description="How many voters.")
    question: str = Field("Do you approve of the new park?", description="Asked every step.")


class PollSpec(ScenarioSpec):
    kind: Literal["poll"] = "poll"
    poll: PollBlock = Field(default_factory=PollBlock)


class Voter(Stateful, LLMAgent):
    STATE = ("approves",)  # checkpointed, resumed and branched from this declaration alone
    approves: bool | None = None

    def decide(self) -> Rounds[int]:
        """Round 1: yes or no. Round 2, only after a yes: why."""
        session, question = self.model.session, self.model.spec.poll.question
        (vote,) = yield [session.ask_choose(question, ["yes", "no"], rng=self.model.rng)]
        self.approves = None if vote.choice is None else vote.choice == "yes"
        reason = None
        if self.approves:
            (why,) = yield [session.ask_complete(f"{question} You said yes. Why, in one line?")]
            reason = why.text
        self.model.log("vote", {"approves": self.approves, "reason": reason}, self.unique_id)
        return 2 if self.approves else 1


class PollModel(SimModel):
    def __init__(self, spec: PollSpec, session: Any, log_event: Any = None):
        super().__init__(spec, session, log_event)
        self.voters = [Voter(self) for _ in range(spec.poll.voters)]

    def step(self) -> None:
        self.consult(self.voters)  # every voter's rounds together: one gather per round

    def approval(self) -> float:
        return sum(bool(v.approves) for v in self.voters) / len(self.voters)

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"approval": lambda m: m.approval()}, {"approves": "approves"}


# --- analysis: what reports, sweeps and notebooks read ----------------------------------------


def summarize(run: Any) -> dict[str, Any]:
    approval = float(run.model["approval"].iloc[-1]) if not run.model.empty else None
    return {"approval": approval, "verdict": f"final approval {approval:.0%}"}


def figures(run: Any) -> list[tuple[str, Any]]:
    return []
