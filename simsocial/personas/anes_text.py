"""A survey persona in words: second person ("You are ...") or first person ("I am ...").

Which parts are shown is a choice, so a fidelity audit can hide the item it asks (a persona told
"You voted for Joe Biden" cannot be asked its vote) and ablate groups of fields: `DEMOGRAPHICS`,
then `party`, then the love/hate lists. The default shows what the published personas show
(Törnberg et al. 2023): demographics, the partisanship sentence, ideology, the 2020 vote, Twitter
habits and the love/hate lists, plus occupation and hobbies once enriched; the 7-point party ID
(`party_id`) is the audit's true answer and is shown only when asked for. Missing answers are
left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from simsocial.personas import anes_codes as codes
from simsocial.personas.respondent import Respondent

Person = Literal["second", "first"]

DEMOGRAPHICS = ("age", "gender", "education", "race", "religion", "income", "state")
PARTS = (
    *DEMOGRAPHICS,
    "party",
    "party_id",
    "ideology",
    "vote_2020",
    "twitter",
    "love",
    "hate",
    "occupation",
    "hobbies",
)
DEFAULT_PARTS = tuple(p for p in PARTS if p != "party_id")

_WORDS: dict[str, dict[str, str]] = {
    "second": {"S": "You", "s": "you", "be": "are", "poss": "Your", "self": "yourself"},
    "first": {"S": "I", "s": "I", "be": "am", "poss": "My", "self": "myself"},
}
_NOUN = {1: "man", 2: "woman"}
_EDUCATION = {
    1: "without a high school diploma",
    2: "with a high school diploma",
    3: "with some college but no bachelor's degree",
    4: "with a bachelor's degree",
    5: "with a graduate degree",
}
_RACE = {
    1: "White",
    2: "Black",
    3: "Hispanic",
    4: "Asian American or Pacific Islander",
    5: "Native American, Alaska Native or of another race",
    6: "of more than one race",
}
_RELIGION = {
    1: "a mainline Protestant",
    2: "an evangelical Protestant",
    3: "a Black Protestant",
    4: "a Protestant",
    5: "Roman Catholic",
    6: "a Christian",
    7: "Jewish",
    8: "of another religion",
    9: "not religious",
}
_VOTE = {
    1: "Joe Biden",
    2: "Donald Trump",
    3: "Jo Jorgensen",
    4: "Howie Hawkins",
    5: "another candidate",
    7: "the Republican candidate",
    8: "the Libertarian candidate",
}
_POSTING = {
    1: "On Twitter, {s} always post about politics.",
    2: "On Twitter, {s} post about politics most of the time.",
    3: "On Twitter, {s} post about politics about half the time.",
    4: "On Twitter, {s} post about politics some of the time.",
    5: "{S} never post about politics on Twitter.",
}
PREFER_BELOW = 20  # |Republican - Democratic thermometer| below this: "prefer"
STRONG_FROM = 50  # from this on: "strong"; in between: "are a"


def describe(
    r: Respondent, *, parts: Iterable[str] = DEFAULT_PARTS, person: Person = "second"
) -> str:
    """The persona's sentences for the parts asked, in the order of `PARTS`."""
    shown = set(parts)
    unknown = shown - set(PARTS)
    if unknown:
        raise ValueError(f"unknown persona parts {sorted(unknown)}; known: {PARTS}")
    w = _WORDS[person]
    sentences = [_identity(r, shown, w)]
    for part in PARTS[3:]:
        if part in shown and part in _SENTENCES:
            sentences.append(_SENTENCES[part](r, w))
    return " ".join(s for s in sentences if s)


def party_sentence(gap: int, w: dict[str, str] = _WORDS["second"]) -> str:
    """By strength of the thermometer gap (Republican - Democratic): below 20 points "prefer",
    20 to 49 "are a", 50 and above "a strong"; 0 prefers neither party."""
    if gap == 0:
        return f"{w['S']} prefer neither party."
    party = "Democrat" if gap < 0 else "Republican"
    if abs(gap) < PREFER_BELOW:
        return f"{w['S']} prefer the {party}s."
    strong = "strong " if abs(gap) >= STRONG_FROM else ""
    return f"{w['S']} {w['be']} a {strong}{party}."


def listed(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _article(phrase: str) -> str:
    sound = phrase[:2] in ("18", "11") or phrase[0] in "8aeiouAEIOU"
    return ("an " if sound else "a ") + phrase


def _identity(r: Respondent, shown: set[str], w: dict[str, str]) -> str:
    """ "You are a 45-year-old woman with a bachelor's degree." from age, gender, education."""
    age = r.answers["age"] if "age" in shown else None
    gender = r.answers["gender"] if "gender" in shown else None
    education = r.answers["education"] if "education" in shown else None
    if age is None and gender is None and education is None:
        return ""
    noun = _NOUN[gender] if gender is not None else "person"
    if age is None:
        who = noun
    elif age >= 80:
        who = f"{noun} aged 80 or older"
    else:
        who = f"{age}-year-old {noun}"
    tail = f" {_EDUCATION[education]}" if education is not None else ""
    return f"{w['S']} {w['be']} {_article(who)}{tail}."


def _coded(name: str, render: Callable[[int, dict[str, str]], str]) -> Callable[..., str]:
    """A sentence from one coded answer; nothing when it is missing."""

    def sentence(r: Respondent, w: dict[str, str]) -> str:
        value = r.answers[name]
        return "" if value is None else render(value, w)

    return sentence


def _income(band: int, w: dict[str, str]) -> str:
    return f"{w['poss']} family income is {codes.income_class(band)}, {codes.INCOME[band]} a year."


def _state(code: int, w: dict[str, str]) -> str:
    return f"{w['S']} live in {codes.STATE[code]}."


def _party(r: Respondent, w: dict[str, str]) -> str:
    gap = r.partisan_gap
    return "" if gap is None else party_sentence(gap, w)


def _party_id(code: int, w: dict[str, str]) -> str:
    return f"{w['S']} identify as {_article(codes.PARTY_ID[code])}."


def _ideology(code: int, w: dict[str, str]) -> str:
    if code == 99:
        whether = f"whether {w['s']} {w['be']} liberal or conservative"
        return f"{w['S']} haven't thought much about {whether}."
    return f"{w['S']} consider {w['self']} {codes.IDEOLOGY[code].replace(';', ',')}."


def _twitter(r: Respondent, w: dict[str, str]) -> str:
    use, posting = r.answers["twitter_use"], r.answers["political_posting"]
    out = [f"{w['S']} use Twitter {codes.TWITTER_USE[use]}."] if use is not None else []
    if posting is not None:
        out.append(_POSTING[posting].format(**w))
    return " ".join(out)


def _love(r: Respondent, w: dict[str, str]) -> str:
    return f"{w['S']} love {listed(r.love)}." if r.love else ""


def _hate(r: Respondent, w: dict[str, str]) -> str:
    return f"{w['S']} hate {listed(r.hate)}." if r.hate else ""


def _occupation(r: Respondent, w: dict[str, str]) -> str:
    return f"{w['poss']} occupation is {r.occupation}." if r.occupation else ""


def _hobbies(r: Respondent, w: dict[str, str]) -> str:
    return f"{w['S']} like {listed(r.hobbies)}." if r.hobbies else ""


_SENTENCES: dict[str, Callable[[Respondent, dict[str, str]], str]] = {
    "race": _coded("race", lambda v, w: f"{w['S']} {w['be']} {_RACE[v]}."),
    "religion": _coded("religion", lambda v, w: f"{w['S']} {w['be']} {_RELIGION[v]}."),
    "income": _coded("income", _income),
    "state": _coded("state", _state),
    "party": _party,
    "party_id": _coded("party_id", _party_id),
    "ideology": _coded("ideology", _ideology),
    "vote_2020": _coded(
        "vote_2020",
        lambda v, w: f"{w['S']} voted for {_VOTE[v]} in the 2020 presidential election.",
    ),
    "twitter": _twitter,
    "love": _love,
    "hate": _hate,
    "occupation": _occupation,
    "hobbies": _hobbies,
}
