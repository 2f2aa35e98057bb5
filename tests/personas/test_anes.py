"""The ANES 2020 loader on a SYNTHETIC file in the survey's column format: every column mapped,
missing values counted by meaning, the partisanship sentence at its thresholds, love and hate
lists, income bands, the persona text, and located errors for files it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest
from anes_rows import HEADER, NOTE, ROWS, write_anes

from simsocial.personas import Persona
from simsocial.personas import anes_codes as codes
from simsocial.personas.anes import AnesFile, AnesFileError, Respondent, load_anes
from simsocial.personas.anes_text import DEMOGRAPHICS, describe, party_sentence

DATA = Path(__file__).resolve().parents[1] / "data" / "anes_synthetic.csv"


@pytest.fixture(scope="module")
def anes() -> AnesFile:
    return load_anes(DATA)


def by_id(anes: AnesFile) -> dict[str, Respondent]:
    return {r.id: r for r in anes.respondents}


def test_the_test_file_is_synthetic_and_written_from_its_rows(tmp_path: Path) -> None:
    """The committed file is exactly what ROWS write, and every row says it is synthetic."""
    assert "synthetic" in DATA.name
    assert write_anes(tmp_path / "x.csv", ROWS).read_bytes() == DATA.read_bytes()
    assert HEADER[-1] == "synthetic_note" and DATA.read_text().count(NOTE) == len(ROWS)


def test_every_column_is_mapped(anes: AnesFile) -> None:
    """Respondent 900001: each answer is the raw code of its variable, with its label."""
    r = by_id(anes)["900001"]
    assert r.source == "anes-2020-time-series" and r.weight == 1.25
    assert r.answers == {
        "dem_thermometer": 95,
        "rep_thermometer": 5,
        "party_id": 1,
        "ideology": 2,
        "age": 45,
        "gender": 2,
        "race": 1,
        "education": 4,
        "income": 15,
        "religion": 5,
        "state": 39,
        "twitter_use": 3,
        "political_posting": 2,
        "vote_2020": 1,
    }
    labels = {name: r.label(name) for name in codes.ANSWERS}
    assert labels["party_id"] == "strong Democrat" and labels["ideology"] == "liberal"
    assert labels["education"] == "bachelor's degree" and labels["state"] == "Ohio"
    assert labels["income"] == "$80,000-89,999" and labels["religion"] == "Roman Catholic"
    assert labels["twitter_use"] == "about once a day" and labels["vote_2020"] == "Joe Biden"
    assert labels["age"] == "45" and r.age_group == "40-49" and r.vote_choice == "Biden"
    assert r.posts_per_day == 1.0 and r.partisanship == -0.9 and r.party == "Democrat"
    assert set(codes.LABELS) | {"age", "dem_thermometer", "rep_thermometer"} == set(codes.ANSWERS)


def test_every_persona_carries_every_answer_key() -> None:
    """Audits rely on the same keys everywhere: a record missing one is refused."""
    with pytest.raises(ValueError, match="answers need exactly"):
        Respondent(id="x", source="test", answers={"age": 40})


def test_missing_values_are_none_and_counted_by_meaning(anes: AnesFile) -> None:
    """Negative codes, reserved codes (998, 12), unknown codes and blanks: None, and counted
    per variable with what they mean; nothing is filled in."""
    people = by_id(anes)
    assert anes.missing["V201600"] == {"-9 refused": 1, "3 unknown code": 1}
    assert anes.missing["V201156"] == {"998 don't know where to rate": 1}
    assert anes.missing["V201157"] == {"-9 refused": 1}
    assert anes.missing["V202073"] == {"-6 no post-election interview": 1,
                                       "12 specified as refused": 1}  # fmt: skip
    assert anes.missing["V202544"] == {"-1 inapplicable": 1, "-6 no post-election interview": 1,
                                       "7 unknown code": 1}  # fmt: skip
    assert anes.missing["V201458x"] == {"blank": 1}
    assert anes.missing["V202158"] == {"-6 no post-election interview": 1}
    assert "V201231x" not in anes.missing and "V200010b" not in anes.missing
    missing = people["900009"]
    assert missing.partisanship is None and missing.party is None
    assert missing.answers["age"] is None and missing.answers["income"] is None
    assert missing.answers["vote_2020"] is None and missing.vote_choice is None
    assert people["900010"].answers["gender"] is None and people["900010"].posts_per_day is None
    assert people["900010"].answers["religion"] is None and people["900010"].weight == 0.0
    assert people["900010"].vote_choice == "Trump"  # code 7: specified as Republican candidate
    assert people["900011"].vote_choice == "other"
    manifest = anes.manifest()
    assert manifest["missing"]["V201600"]["-9 refused"] == 1 and len(manifest["sha256"]) == 64


@pytest.mark.parametrize(
    ("case", "gap", "party", "sentence"),
    [
        ("900003", 0, "independent", "You prefer neither party."),
        ("900004", -19, "Democrat", "You prefer the Democrats."),
        ("900008", 19, "Republican", "You prefer the Republicans."),
        ("900005", 20, "Republican", "You are a Republican."),
        ("900006", 49, "Republican", "You are a Republican."),
        ("900007", -50, "Democrat", "You are a strong Democrat."),
        ("900001", -90, "Democrat", "You are a strong Democrat."),
    ],
)
def test_partisanship_sentence_at_its_thresholds(
    anes: AnesFile, case: str, gap: int, party: str, sentence: str
) -> None:
    """Below 0.2 "prefer", 0.2 to 0.5 "are a", 0.5 and above "strong"; 0 is independent."""
    r = by_id(anes)[case]
    assert r.partisan_gap == gap and r.partisanship == gap / 100 and r.party == party
    assert sentence in r.text


def test_partisanship_sentence_over_the_whole_range() -> None:
    """Every gap from -100 to 100 falls in exactly the band its size says."""
    for gap in range(-100, 101):
        text = party_sentence(gap)
        size = abs(gap)
        assert ("prefer" in text) == (size < 20)
        assert ("strong" in text) == (size >= 50)
        assert (text.startswith("You are a ") and "strong" not in text) == (20 <= size < 50)


def test_love_and_hate_lists(anes: AnesFile) -> None:
    """Love at 90 or above, hate at 10 or below, in the thermometer map's order; 89 and 11
    are neither; a missing rating is on no list."""
    people = by_id(anes)
    assert people["900001"].love == ("Democrats", "Joe Biden", "scientists")
    assert people["900001"].hate == ("Republicans", "Donald Trump", "the NRA")
    assert people["900012"].love == ("Democrats",) and people["900012"].hate == ("Republicans",)
    assert people["900009"].love == () and people["900009"].hate == ()
    assert "You love Democrats, Joe Biden and scientists." in people["900001"].text


def test_income_bands(anes: AnesFile) -> None:
    """Bands 1-10 low, 11-20 middle, 21-22 high, at every boundary the file holds."""
    people = by_id(anes)
    found = {people[c].answers["income"]: people[c].income_class for c in people}
    assert {k: v for k, v in found.items() if k is not None} == {
        15: "middle", 5: "low", 21: "high", 10: "low", 11: "middle", 20: "middle",
        22: "high", 12: "middle",
    }  # fmt: skip
    assert [codes.income_class(b) for b in range(1, 23)] == ["low"] * 10 + ["middle"] * 10 + [
        "high"
    ] * 2
    assert len(codes.INCOME) == 22 and codes.income_class(None) is None


def test_persona_text(anes: AnesFile) -> None:
    """Second person by default, first person on request, parts chosen (the audit hides the
    item it asks); a missing answer leaves its sentence out."""
    people = by_id(anes)
    r = people["900001"]
    assert r.text.startswith("You are a 45-year-old woman with a bachelor's degree. You are White.")
    assert "You voted for Joe Biden in the 2020 presidential election." in r.text
    assert "identify as" not in r.text  # the 7-point party ID is shown only when asked for
    first = describe(r, person="first", parts=[*DEMOGRAPHICS, "party", "party_id"])
    assert first.startswith("I am a 45-year-old woman") and "I am a strong Democrat." in first
    assert "I identify as a strong Democrat." in first and "voted" not in first
    assert "I love" not in first and "Twitter" not in first
    assert people["900011"].text.startswith("You are an 18-year-old man without a high school")
    assert people["900003"].text.startswith("You are a person aged 80 or older with some college")
    assert "haven't thought much about whether you are liberal" in people["900003"].text
    assert "Twitter" not in people["900002"].text  # -1: not a Twitter user
    assert "You are a man with a high school diploma." in people["900009"].text  # age missing
    with pytest.raises(ValueError, match="unknown persona parts"):
        describe(r, parts=["shoe size"])


def test_to_persona_keeps_text_and_labels(anes: AnesFile) -> None:
    """The plain Persona of the existing scenarios: text as description, labelled answers."""
    p = by_id(anes)["900001"].to_persona("Ann")
    assert isinstance(p, Persona) and p.name == "Ann" and p.description.startswith("You are a 45")
    assert p.demographics["party_id"] == "strong Democrat" and p.demographics["party"] == "Democrat"
    assert p.demographics["source"] == "anes-2020-time-series"


def test_thermometer_map_and_extra_columns_are_overridable(tmp_path: Path) -> None:
    """A user's own thermometer map and mapped columns (kept as coded answers)."""
    path = write_anes(tmp_path / "a.csv", ROWS[:2], header=[*HEADER, "V201601"])
    data = load_anes(path, thermometers={"V202173": "scientists"}, extra={"orientation": "V201601"})
    assert data.respondents[0].love == ("scientists",) and data.respondents[0].hate == ()
    assert data.respondents[0].answer("orientation") is None  # blank cell: counted
    assert data.missing["V201601"] == {"blank": 2}
    with pytest.raises(ValueError, match="reuse"):
        load_anes(path, extra={"age": "V201601"})


def test_missing_columns_are_named_at_line_1(tmp_path: Path) -> None:
    short = [c for c in HEADER if c not in ("V201156", "V202073", "V202173")]
    path = write_anes(tmp_path / "a.csv", ROWS[:1], header=short)
    with pytest.raises(AnesFileError) as err:
        load_anes(path)
    assert err.value.line == 1
    assert err.value.detail == (
        "missing required columns: V201156 (dem_thermometer), V202073 (vote_2020), "
        "V202173 (thermometer: scientists)"
    )
    other = tmp_path / "people.csv"
    other.write_text("name,age\nAnn,3\n")
    with pytest.raises(AnesFileError, match=r"people\.csv:1: none of the ANES columns"):
        load_anes(other)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"V201600": "woman"}, ":3: V201600 (gender) is 'woman', not a number"),
        ({"V201600": "1.5"}, ":3: V201600 (gender) is '1.5', not a whole-number code"),
        ({"V200010b": "nan"}, ":3: V200010b (weight) is 'nan', not a number"),
        ({"V200001": ""}, ":3: V200001 (case ID) is blank"),
        ({"V200001": 900001}, ":3: case ID 900001 repeats line 2"),
    ],
)
def test_bad_cells_are_located(tmp_path: Path, row: dict[str, object], message: str) -> None:
    path = write_anes(tmp_path / "a.csv", [ROWS[0], ROWS[1] | row])
    with pytest.raises(AnesFileError) as err:
        load_anes(path)
    assert str(err.value).endswith(f"a.csv{message}")


def test_unusable_paths_and_rows(tmp_path: Path) -> None:
    with pytest.raises(AnesFileError, match="file not found"):
        load_anes(tmp_path / "nope.csv")
    with pytest.raises(AnesFileError, match="is a directory"):
        load_anes(tmp_path)
    path = write_anes(tmp_path / "a.csv", ROWS[:1])
    path.write_text(path.read_text() + "1,2,3\n")
    with pytest.raises(AnesFileError, match=r"a\.csv:3: 3 cells, the header has"):
        load_anes(path)
