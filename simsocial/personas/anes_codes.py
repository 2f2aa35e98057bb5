"""The ANES 2020 Time Series codebook, as far as the survey personas read it.

Variable codes and value labels follow the ANES 2020 user guide and codebook (release 2022-02-10,
`anes_timeseries_2020_userguidecodebook_20220210.pdf`); the persona fields and thresholds follow
Törnberg, Valeeva, Uitermark & Bail (arXiv 2310.05984) and their published code. Nothing here is
survey data: only the names of columns and what their codes mean.

Feeling thermometers used for the love/hate lists (`THERMOMETERS`, the published personas' set):
V201156 Democrats, V201157 Republicans, V201151 Joe Biden, V201152 Donald Trump (pre-election);
V202158 Anthony Fauci, V202159 Christian fundamentalists, V202160 feminists, V202161 liberals,
V202164 conservatives, V202166 gay men and lesbians, V202168 Muslims, V202169 Christians,
V202170 Jews, V202171 the police, V202172 transgender people, V202173 scientists, V202174 Black
Lives Matter, V202175 journalists, V202176 NATO, V202178 the NRA, V202179 socialists, V202180
capitalists, V202183 the #MeToo movement, V202184 rural Americans (post-election). The codes
follow the codebook as far as it is known here; check them against your copy and pass your own
map (`load_anes(thermometers=...)`) where they differ. Likewise `TWITTER_USE` labels codes 1-6
(the published normalisation's scale): any other code in a real file is counted as unknown.

Missing values: every negative code is missing (its meaning is named in the counts), and so are
the few positive codes the codebook reserves for non-answers (`POSITIVE_MISSING`). A code that is
neither labelled nor reserved is counted as unknown, never guessed.
"""

from __future__ import annotations

SOURCE = "anes-2020-time-series"
FILE_NAME = "anes_timeseries_2020_csv_20220210.csv"

# persona field -> ANES variable code
COLUMNS: dict[str, str] = {
    "case_id": "V200001",  # 2020 case ID
    "weight": "V200010b",  # full-sample post-election weight
    "dem_thermometer": "V201156",  # PRE: feeling thermometer, Democratic Party
    "rep_thermometer": "V201157",  # PRE: feeling thermometer, Republican Party
    "party_id": "V201231x",  # PRE: summary, party ID (7 points)
    "ideology": "V201200",  # PRE: 7-point liberal-conservative self-placement
    "age": "V201507x",  # PRE: summary, respondent age
    "gender": "V201600",  # PRE: what is your (R) sex
    "race": "V201549x",  # PRE: summary, self-identified race/ethnicity
    "education": "V201511x",  # PRE: summary, highest level of education (5 groups)
    "income": "V201617x",  # PRE: summary, total (family) income (22 bands)
    "religion": "V201458x",  # PRE: summary, major group religion
    "state": "V203000",  # SAMPLE: FIPS state of the sample address
    "twitter_use": "V202544",  # POST: how often use Twitter
    "political_posting": "V202545",  # POST: how often post political content on Twitter
    "vote_2020": "V202073",  # POST: for whom did R vote for president (post-election choice)
}

# The persona's true coded answers: every column but the case ID and the weight.
ANSWERS: tuple[str, ...] = tuple(k for k in COLUMNS if k not in ("case_id", "weight"))

NEGATIVE: dict[int, str] = {
    -1: "inapplicable",
    -2: "not available",
    -3: "restricted",
    -4: "technical error",
    -5: "interview breakoff",
    -6: "no post-election interview",
    -7: "no post-election data (incomplete interview)",
    -8: "don't know",
    -9: "refused",
}

THERMOMETER_MISSING = {998: "don't know where to rate", 999: "don't recognize"}
# Positive codes that are non-answers, by kind of column.
POSITIVE_MISSING: dict[str, dict[int, str]] = {
    "thermometer": THERMOMETER_MISSING,
    "vote_2020": {11: "specified as don't know", 12: "specified as refused"},
}

AGE_RANGE = (18, 80)  # 80 means "80 or older"
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("18-29", 18, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70+", 70, 80),
)

PARTY_ID = {
    1: "strong Democrat",
    2: "not very strong Democrat",
    3: "independent-Democrat",
    4: "independent",
    5: "independent-Republican",
    6: "not very strong Republican",
    7: "strong Republican",
}
IDEOLOGY = {
    1: "extremely liberal",
    2: "liberal",
    3: "slightly liberal",
    4: "moderate; middle of the road",
    5: "slightly conservative",
    6: "conservative",
    7: "extremely conservative",
    99: "haven't thought much about this",
}
GENDER = {1: "male", 2: "female"}
RACE = {
    1: "White, non-Hispanic",
    2: "Black, non-Hispanic",
    3: "Hispanic",
    4: "Asian or Native Hawaiian/other Pacific Islander, non-Hispanic alone",
    5: "Native American/Alaska Native or other race, non-Hispanic alone",
    6: "Multiple races, non-Hispanic",
}
EDUCATION = {
    1: "less than high school credential",
    2: "high school credential",
    3: "some post-high school, no bachelor's degree",
    4: "bachelor's degree",
    5: "graduate degree",
}
INCOME = {
    1: "under $9,999",
    2: "$10,000-14,999",
    3: "$15,000-19,999",
    4: "$20,000-24,999",
    5: "$25,000-29,999",
    6: "$30,000-34,999",
    7: "$35,000-39,999",
    8: "$40,000-44,999",
    9: "$45,000-49,999",
    10: "$50,000-59,999",
    11: "$60,000-64,999",
    12: "$65,000-69,999",
    13: "$70,000-74,999",
    14: "$75,000-79,999",
    15: "$80,000-89,999",
    16: "$90,000-99,999",
    17: "$100,000-109,999",
    18: "$110,000-124,999",
    19: "$125,000-149,999",
    20: "$150,000-174,999",
    21: "$175,000-249,999",
    22: "$250,000 or more",
}
RELIGION = {
    1: "mainline Protestant",
    2: "evangelical Protestant",
    3: "Black Protestant",
    4: "undifferentiated Protestant",
    5: "Roman Catholic",
    6: "other Christian",
    7: "Jewish",
    8: "other religion",
    9: "not religious",
}
STATE = {
    1: "Alabama", 2: "Alaska", 4: "Arizona", 5: "Arkansas", 6: "California", 8: "Colorado",
    9: "Connecticut", 10: "Delaware", 11: "Washington, D.C.", 12: "Florida", 13: "Georgia",
    15: "Hawaii", 16: "Idaho", 17: "Illinois", 18: "Indiana", 19: "Iowa", 20: "Kansas",
    21: "Kentucky", 22: "Louisiana", 23: "Maine", 24: "Maryland", 25: "Massachusetts",
    26: "Michigan", 27: "Minnesota", 28: "Mississippi", 29: "Missouri", 30: "Montana",
    31: "Nebraska", 32: "Nevada", 33: "New Hampshire", 34: "New Jersey", 35: "New Mexico",
    36: "New York", 37: "North Carolina", 38: "North Dakota", 39: "Ohio", 40: "Oklahoma",
    41: "Oregon", 42: "Pennsylvania", 44: "Rhode Island", 45: "South Carolina",
    46: "South Dakota", 47: "Tennessee", 48: "Texas", 49: "Utah", 50: "Vermont", 51: "Virginia",
    53: "Washington", 54: "West Virginia", 55: "Wisconsin", 56: "Wyoming",
}  # fmt: skip
TWITTER_USE = {
    1: "many times every day",
    2: "a few times every day",
    3: "about once a day",
    4: "a few times each week",
    5: "about once a week",
    6: "once or twice a month",
}
POLITICAL_POSTING = {
    1: "always",
    2: "most of the time",
    3: "about half the time",
    4: "some of the time",
    5: "never",
}
VOTE_2020 = {
    1: "Joe Biden",
    2: "Donald Trump",
    3: "Jo Jorgensen",
    4: "Howie Hawkins",
    5: "other candidate",
    7: "specified as Republican candidate",
    8: "specified as Libertarian candidate",
}

LABELS: dict[str, dict[int, str]] = {
    "party_id": PARTY_ID,
    "ideology": IDEOLOGY,
    "gender": GENDER,
    "race": RACE,
    "education": EDUCATION,
    "income": INCOME,
    "religion": RELIGION,
    "state": STATE,
    "twitter_use": TWITTER_USE,
    "political_posting": POLITICAL_POSTING,
    "vote_2020": VOTE_2020,
}

# Vote choice in three groups for audits; code 7 counts for Trump as in the published code.
VOTE_CHOICE = {1: "Biden", 2: "Trump", 7: "Trump", 3: "other", 4: "other", 5: "other", 8: "other"}

# Income bands grouped as in the published personas.
INCOME_CLASSES: tuple[tuple[str, int, int], ...] = (
    ("low", 1, 10),
    ("middle", 11, 20),
    ("high", 21, 22),
)

# Twitter use as a posting rate (times per day): the published normalisation (times per two
# weeks: 50, 30, 14, 5, 2, 1) divided by 14.
TWITTER_PER_DAY = {1: 50 / 14, 2: 30 / 14, 3: 1.0, 4: 5 / 14, 5: 2 / 14, 6: 1 / 14}

# Feeling thermometers (0-100) read into the love (>= 90) and hate (<= 10) lists: the published
# personas' set, variable code -> who is rated. Override with `load_anes(thermometers=...)`.
THERMOMETERS: dict[str, str] = {
    "V201156": "Democrats",
    "V201157": "Republicans",
    "V201151": "Joe Biden",
    "V201152": "Donald Trump",
    "V202158": "Anthony Fauci",
    "V202159": "Christian fundamentalists",
    "V202160": "feminists",
    "V202161": "liberals",
    "V202164": "conservatives",
    "V202166": "gay men and lesbians",
    "V202168": "Muslims",
    "V202169": "Christians",
    "V202170": "Jews",
    "V202171": "the police",
    "V202172": "transgender people",
    "V202173": "scientists",
    "V202174": "Black Lives Matter",
    "V202175": "journalists",
    "V202176": "NATO",
    "V202178": "the NRA",
    "V202179": "socialists",
    "V202180": "capitalists",
    "V202183": "the #MeToo movement",
    "V202184": "rural Americans",
}
LOVE_AT = 90
HATE_AT = 10


def age_group(age: int | None) -> str | None:
    """The survey's age band ("18-29" ... "70+") of an age, None when it is missing."""
    if age is None:
        return None
    return next((name for name, low, high in AGE_GROUPS if low <= age <= high), None)


def income_class(band: int | None) -> str | None:
    """low (bands 1-10), middle (11-20) or high (21-22); None when missing."""
    if band is None:
        return None
    return next((name for name, low, high in INCOME_CLASSES if low <= band <= high), None)
