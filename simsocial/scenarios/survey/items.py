"""The survey items an audit asks, and the prompt that asks one of them.

An item is a question, its answer options in scale order, and how a persona's coded answer maps
to one option (`truth`), so the persona's own answer is the ground truth. Built in: the 2020 vote
(Biden, Trump, someone else, grouped as `anes_codes.VOTE_CHOICE`), the 7-point party ID and the
7-point ideology scale (plus "haven't thought much about this", an answer the ANES offers, left
off the ordinal scale). A user maps any other coded column (`ItemSpec` in the spec).

The persona sentence of the item asked is never shown (`hides`): a persona told "You voted for
Joe Biden" cannot be asked its vote. With `oracle` on, the persona's own answer is stated instead
("When asked ..., you answered ...."): the ceiling condition (can the model read the answer
back?) and the only way the scripted twin (`simsocial.llm.scripted_survey`) learns the truth,
through the prompt like any model, with no side channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simsocial.llm.prompts import Template
from simsocial.personas import anes_codes as codes
from simsocial.personas.anes_text import PARTS, Person, describe
from simsocial.personas.respondent import Respondent

ASK = {
    "second": Template("survey.ask_second", "{persona}\n\nA survey asks you: {question}"),
    "first": Template(
        "survey.ask_first",
        "{persona}\n\nInterviewer: {question}\n(Answer as the person speaking above.)",
    ),
}
ORACLE = {
    "second": Template("survey.oracle_second", 'When asked "{question}", you answered "{answer}".'),
    "first": Template("survey.oracle_first", 'When asked "{question}", I answered "{answer}".'),
}
# persona parts (simsocial.personas.anes_text.PARTS) that state a coded field
_PART_OF = {name: name for name in PARTS} | {
    "twitter_use": "twitter",
    "political_posting": "twitter",
}


@dataclass(frozen=True)
class Item:
    """One question with its options (keys in scale order) and the persona's true option."""

    name: str
    field: str  # Respondent.answer(field) holds the persona's own coded answer
    question: str
    texts: dict[str, str]  # option key -> wording shown, in scale order
    truth: dict[int, str]  # coded answer -> option key
    scale: tuple[str, ...] = ()  # option keys forming the ordinal scale, in order; () nominal

    @property
    def options(self) -> list[str]:
        return list(self.texts)

    @property
    def hides(self) -> str | None:
        """The persona part left out while this item is asked (it states the answer)."""
        return _PART_OF.get(self.field)

    def true_option(self, person: Respondent) -> str | None:
        """The persona's own answer as an option key; None when missing or not an option."""
        code = person.answer(self.field)
        return None if code is None else self.truth.get(code)

    def rank(self, key: str | None) -> int | None:
        """Position on the ordinal scale (0-based); None off the scale or for nominal items."""
        return self.scale.index(key) if key in self.scale else None

    def describe(self) -> dict[str, object]:
        """For the run manifest: what was asked and how answers map."""
        return {
            "field": self.field,
            "question": self.question,
            "options": dict(self.texts),
            "truth": {str(code): key for code, key in self.truth.items()},
            "scale": list(self.scale),
        }


def _coded(labels: dict[int, str]) -> dict[str, str]:
    return {str(code): text.replace(";", ",") for code, text in labels.items()}


BUILTIN: dict[str, Item] = {
    "vote_2020": Item(
        "vote_2020",
        "vote_2020",
        "In the 2020 presidential election, who did you vote for?",
        {"Biden": "Joe Biden", "Trump": "Donald Trump", "other": "someone else"},
        dict(codes.VOTE_CHOICE),
    ),
    "party_id": Item(
        "party_id",
        "party_id",
        "Generally speaking, do you think of yourself as a Democrat, a Republican, an "
        "independent, or what, and how strongly?",
        _coded(codes.PARTY_ID),
        {code: str(code) for code in codes.PARTY_ID},
        tuple(str(code) for code in range(1, 8)),
    ),
    "ideology": Item(
        "ideology",
        "ideology",
        "Where would you place yourself on a scale of political views from extremely liberal "
        "to extremely conservative?",
        _coded(codes.IDEOLOGY),
        {code: str(code) for code in codes.IDEOLOGY},
        tuple(str(code) for code in range(1, 8)),
    ),
}


def custom_item(
    name: str,
    field: str,
    question: str,
    options: dict[int, str],
    ordinal: bool,
    off_scale: Sequence[int] = (),
) -> Item:
    """A user's item: option keys are the column's codes, in the order given."""
    keys = {code: str(code) for code in options}
    scale = tuple(keys[c] for c in options if c not in off_scale) if ordinal else ()
    return Item(name, field, question, {keys[c]: t for c, t in options.items()}, keys, scale)


def prompt(person: Respondent, item: Item, show: Sequence[str], form: Person, oracle: bool) -> str:
    """The persona (without the part that states this item's answer) and the question; with
    `oracle`, the persona's own answer stated (its true answer must exist)."""
    text = describe(person, parts=[p for p in show if p != item.hides], person=form)
    if oracle:
        true = item.true_option(person)
        assert true is not None, "the oracle states a true answer; ask only personas with one"
        said = ORACLE[form].render(question=item.question, answer=item.texts[true])
        text = f"{text} {said}".strip()
    return ASK[form].render(persona=text, question=item.question)
