"""The audit as a model: step t asks item t of every persona that truly answered it.

Personas are respondents, not Mesa agents: the interview (`interview`) is a rounds generator
over a `Respondent` that yields choose asks and returns their answers, writes nothing anywhere
(no memory, no state on any agent), and can interview any persona from any kind. The model runs
all personas' interviews together (`consult_rounds`): one gather per item round. Every ask is a
row of `answers.parquet`: the persona's subgroups, its true option, the option chosen (None on a
failed ask, whose error kind is the row's `error`: counted, never an answer), and the model's
probabilities when it gave log-probabilities.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from simsocial.llm import Session
from simsocial.llm.types import Choice
from simsocial.model import EventSink, SimModel
from simsocial.personas import anes_codes as codes
from simsocial.personas.anes_text import Person
from simsocial.personas.respondent import Respondent
from simsocial.rounds import Rounds
from simsocial.scenarios.survey.items import Item, prompt
from simsocial.scenarios.survey.spec import SurveySpec

MISSING = "missing"  # a subgroup label the persona lacks (a group of its own, never dropped)
EDUCATION = {1: "no high school", 2: "high school", 3: "some college", 4: "bachelor's",
             5: "graduate"}  # fmt: skip
RACE = {1: "White", 2: "Black", 3: "Hispanic", 4: "Asian/Pacific Islander",
        5: "Native American/other", 6: "multiracial"}  # fmt: skip
ANSWERS = pa.schema(
    [
        ("step", pa.int64()),
        ("item", pa.string()),
        ("persona", pa.int64()),
        ("respondent", pa.string()),
        ("age_group", pa.string()),
        ("education", pa.string()),
        ("race", pa.string()),
        ("party", pa.string()),
        ("gender", pa.string()),
        ("k", pa.int64()),
        ("truth", pa.string()),
        ("answer", pa.string()),
        ("error", pa.string()),
        ("truth_rank", pa.int64()),
        ("answer_rank", pa.int64()),
        ("p_truth", pa.float64()),
        ("probabilities", pa.string()),  # JSON: option key -> probability, options in order
    ]
)


def subgroups(person: Respondent) -> dict[str, str]:
    """The persona's subgroup labels (short forms of the codebook's)."""
    a = person.answers
    return {
        "age_group": person.age_group or MISSING,
        "education": EDUCATION.get(a["education"] or 0, MISSING),
        "race": RACE.get(a["race"] or 0, MISSING),
        "party": person.party or MISSING,
        "gender": codes.GENDER.get(a["gender"] or 0, MISSING),
    }


def interview(
    session: Session,
    person: Respondent,
    items: Sequence[Item],
    *,
    show: Sequence[str],
    form: Person,
    oracle: bool,
    rng: np.random.Generator,
) -> Rounds[list[Choice | None]]:
    """One round per item: a choose ask (options shuffled) if the persona truly answered it,
    else no ask (the round still passes, so every persona stays on the same item); the answers
    in item order, None where nothing was asked. Side-effect free."""
    answers: list[Choice | None] = []
    for item in items:
        if item.true_option(person) is None:
            yield []
            answers.append(None)
            continue
        ask = session.ask_choose(
            prompt(person, item, show, form, oracle),
            item.options,
            rng=rng,
            render=item.texts.__getitem__,
            meta={"purpose": "survey.ask", "item": item.name, "respondent": person.id},
        )
        (answer,) = yield [ask]
        answers.append(answer)
    return answers


class SurveyModel(SimModel):
    """Personas drawn once from the spec (the same seed gives the same people on resume)."""

    spec: SurveySpec
    TABLES: ClassVar[dict[str, pa.Schema]] = {"answers": ANSWERS}
    STATE = ("done", "counts")

    def __init__(self, spec: SurveySpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.has_starting_state = False  # nothing is asked before step 0
        self.params = spec.survey
        self.items = self.params.resolved()
        drawn = self.params.personas.draw(spec.seed)
        self.personas, self.drawn = drawn.personas, drawn.how
        self.groups = [subgroups(p) for p in self.personas]
        self.counts: dict[str, dict[str, int]] = {}
        self._rows: list[dict[str, Any]] = []
        self._last: dict[str, float | int | None] = {"asked": 0, "answered": 0, "failed": 0}

    def step(self) -> None:
        item = self.items[self.step_index]
        p = self.params
        answers = self.consult_rounds(
            [
                interview(
                    self.session, person, [item], show=p.parts(), form=p.person,
                    oracle=p.oracle, rng=self.rng,
                )
                for person in self.personas
            ]
        )  # fmt: skip
        counts: Counter[str] = Counter()
        for i, (person, (answer,)) in enumerate(zip(self.personas, answers, strict=True)):
            if answer is None:
                counts["no_truth"] += 1
                continue
            counts["asked"] += 1
            row = self._row(i, person, item, answer)
            counts["failed" if row["error"] else "answered"] += 1
            counts["correct"] += row["answer"] == row["truth"]
            if row["error"]:
                counts[f"failed_{row['error']}"] += 1
            self._rows.append(row)
        self.counts[item.name] = {k: int(v) for k, v in sorted(counts.items())}
        self.log("item", {"item": item.name, **self.counts[item.name]})
        answered = counts["answered"]
        self._last = {
            "asked": counts["asked"],
            "answered": answered,
            "failed": counts["failed"],
            "accuracy": counts["correct"] / answered if answered else None,
        }
        self.done = self.step_index + 1 >= len(self.items)

    def _row(self, i: int, person: Respondent, item: Item, answer: Choice) -> dict[str, Any]:
        truth = item.true_option(person)
        assert truth is not None, "only personas with a true answer are asked"
        chosen = answer.choice if answer.ok else None
        error = None if answer.ok else (answer.record.error_kind or "unknown")
        probs = None
        if answer.probabilities is not None:
            probs = {key: answer.probabilities.get(j, 0.0) for j, key in enumerate(item.options)}
        return {
            "step": self.step_index,
            "item": item.name,
            "persona": i,
            "respondent": person.id,
            **self.groups[i],
            "k": len(item.options),
            "truth": truth,
            "answer": chosen,
            "error": error,
            "truth_rank": item.rank(truth),
            "answer_rank": item.rank(chosen),
            "p_truth": None if probs is None else probs[truth],
            "probabilities": None if probs is None else json.dumps(probs),
        }

    def drain_tables(self) -> dict[str, pa.Table]:
        rows, self._rows = self._rows, []
        return {"answers": pa.Table.from_pylist(rows, schema=ANSWERS)} if rows else {}

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Per step (one item): how many were asked, answered, failed, and the accuracy."""
        return {name: _last(name) for name in ("asked", "answered", "failed", "accuracy")}, {}

    def summary(self) -> dict[str, Any]:
        return {"personas": len(self.personas), "items_done": len(self.counts)}

    def manifest_extras(self) -> dict[str, Any]:
        return {
            "survey": {
                "personas": self.drawn,
                "items": {item.name: item.describe() for item in self.items},
                "shown": list(self.params.parts()),
                "person": self.params.person,
                "oracle": self.params.oracle,
                "counts": self.counts,
            }
        }


def _last(name: str) -> Callable[[SurveyModel], Any]:
    return lambda model: model._last.get(name)
