"""SYNTHETIC rows in the ANES 2020 CSV column format (no real respondent): each row tests a case.

`ROWS` is what tests/data/anes_synthetic.csv holds (a test checks the file was written from
them); `write_anes` writes any rows, every unnamed column taking `BASE`'s value.
"""

from __future__ import annotations

import csv
from pathlib import Path

from simsocial.personas.anes_codes import COLUMNS, THERMOMETERS

NOTE = "SYNTHETIC test row, not ANES data"
HEADER = list(dict.fromkeys([*COLUMNS.values(), *THERMOMETERS, "synthetic_note"]))

BASE: dict[str, object] = {code: 50 for code in THERMOMETERS}
BASE |= {
    "V200010b": 1.0,  # weight
    "V201231x": 4,  # party ID: independent
    "V201200": 4,  # moderate
    "V201507x": 40,  # age
    "V201600": 1,  # male
    "V201549x": 1,  # White
    "V201511x": 2,  # high school
    "V201617x": 12,  # middle income
    "V201458x": 5,  # Roman Catholic
    "V203000": 39,  # Ohio
    "V202544": 3,  # Twitter about once a day
    "V202545": 4,  # political posts some of the time
    "V202073": 1,  # Biden
    "synthetic_note": NOTE,
}

# 12 rows; the comment says what each one is for.
ROWS: list[dict[str, object]] = [
    # a 45-year-old woman with a BA, strong Democrat by thermometers (gap -90), loves and hates
    {"V200001": 900001, "V200010b": 1.25, "V201156": 95, "V201157": 5, "V201231x": 1,
     "V201200": 2, "V201507x": 45, "V201600": 2, "V201511x": 4, "V201617x": 15,
     "V201151": 92, "V201152": 0, "V202173": 100, "V202178": 10, "V202545": 2},
    # Republican (gap 30), low income, evangelical, Texas, no Twitter (-1), voted Trump
    {"V200001": 900002, "V200010b": 0.75, "V201156": 40, "V201157": 70, "V201231x": 6,
     "V201200": 6, "V201507x": 62, "V201617x": 5, "V201458x": 2, "V203000": 48,
     "V202544": -1, "V202545": -1, "V202073": 2},
    # gap 0: neither party; 80 or older; sex refused; no post-election interview (-6)
    {"V200001": 900003, "V201156": 50, "V201157": 50, "V201507x": 80, "V201600": -9,
     "V201549x": 3, "V201511x": 3, "V201617x": 21, "V201458x": 9, "V203000": 6,
     "V201200": 99, "V202544": -6, "V202545": -6, "V202073": -6,
     **{code: -6 for code in THERMOMETERS if code.startswith("V202")}},
    # gap -19: prefers the Democrats; income band 10 is still low
    {"V200001": 900004, "V201156": 60, "V201157": 41, "V201231x": 3, "V201617x": 10},
    # gap 20: is a Republican; band 11 is middle
    {"V200001": 900005, "V201156": 30, "V201157": 50, "V201231x": 5, "V201617x": 11},
    # gap 49: is a Republican (not yet strong); band 20 is middle
    {"V200001": 900006, "V201156": 20, "V201157": 69, "V201231x": 7, "V201617x": 20},
    # gap -50: a strong Democrat; band 22 is high
    {"V200001": 900007, "V201156": 75, "V201157": 25, "V201231x": 2, "V201617x": 22},
    # gap 19: prefers the Republicans
    {"V200001": 900008, "V201156": 40, "V201157": 59, "V201231x": 5},
    # thermometers missing (998 don't know, -9 refused): no partisanship; age refused,
    # income breakoff, vote "specified as refused" (12)
    {"V200001": 900009, "V201156": 998, "V201157": -9, "V201507x": -9, "V201617x": -5,
     "V202073": 12},
    # unknown codes (sex 3, Twitter 7), a blank religion, weight 0, vote 7 (counts for Trump)
    {"V200001": 900010, "V200010b": 0, "V201156": 35, "V201157": 65, "V201600": 3,
     "V202544": 7, "V201458x": "", "V202073": 7},
    # an 18-year-old without a diploma who voted Jorgensen
    {"V200001": 900011, "V201156": 70, "V201157": 20, "V201507x": 18, "V201511x": 1,
     "V202073": 3},
    # love exactly at 90, hate exactly at 10; 89 and 11 are neither
    {"V200001": 900012, "V201156": 90, "V201157": 10, "V202158": 89, "V202160": 11,
     "V201600": 2},
]  # fmt: skip


def write_anes(path: Path, rows: list[dict[str, object]], header: list[str] = HEADER) -> Path:
    """A CSV with `header`; each row's unnamed cells take BASE's values."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            full = BASE | row
            writer.writerow([full.get(code, "") for code in header])
    return path
