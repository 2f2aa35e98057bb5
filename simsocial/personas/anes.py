"""Survey personas from the ANES 2020 Time Series CSV, each carrying its true coded answers.

Users download `anes_timeseries_2020_csv_20220210.csv` themselves (its terms forbid
redistribution; nothing real ships here). `load_anes` reads the columns named in
`simsocial.personas.anes_codes` (variable codes, value labels, the thermometer map) and nothing
else, so the file's other 1,700 columns cost only parsing time.

Per respondent (a `Respondent`): the true answers (2020 vote V202073, party ID V201231x, ideology
V201200, demographics, Twitter use), partisanship = (Republican thermometer V201157 - Democratic
thermometer V201156) / 100 in [-1, 1] with the party by its sign (0: independent), and the love
(rating >= 90) and hate (<= 10) lists from the feeling thermometers, as in Törnberg et al. (arXiv
2310.05984). Missing values (negative codes, reserved codes, unknown codes, blank cells) stay
None and are counted per column with their meaning in `AnesFile.missing`; a cell that is not a
number is an error naming its file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simsocial.personas import anes_codes as codes
from simsocial.personas.respondent import Respondent, hated, loved
from simsocial.userfiles import UserFileError, display, problem

__all__ = ["AnesFile", "AnesFileError", "Respondent", "load_anes", "required_columns"]

WHAT = "an ANES 2020 Time Series CSV"


class AnesFileError(UserFileError):
    """The ANES file cannot be used; `str()` is `file[:line]: what`."""


@dataclass(frozen=True)
class AnesFile:
    """What `load_anes` read: respondents in file order, and every missing value counted."""

    path: str
    sha256: str
    encoding: str
    respondents: list[Respondent]
    missing: dict[str, dict[str, int]]  # variable code -> {"-9 refused": count, ...}
    thermometers: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    source: str = codes.SOURCE

    def manifest(self) -> dict[str, Any]:
        """Where the personas came from, for the run manifest."""
        return {
            "source": self.source,
            "file": self.path,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "respondents": len(self.respondents),
            "columns": {**codes.COLUMNS, **self.extra},
            "thermometers": dict(self.thermometers),
            "missing": {code: dict(counts) for code, counts in self.missing.items()},
        }


def required_columns(
    thermometers: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Variable code -> what it holds, for every column the loader reads."""
    out = {code: name for name, code in codes.COLUMNS.items()}
    for code, who in (codes.THERMOMETERS if thermometers is None else thermometers).items():
        out.setdefault(code, f"thermometer: {who}")
    for name, code in (extra or {}).items():
        out.setdefault(code, name)
    return out


def load_anes(
    path: str | Path,
    *,
    thermometers: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> AnesFile:
    """Every respondent of the file. `thermometers` (code -> who) replaces the default love/hate
    map; `extra` (name -> code) adds columns whose codes are kept as answers (negatives missing).
    AnesFileError names the file (and line) of a missing column or a cell that is no number."""
    therms = dict(codes.THERMOMETERS if thermometers is None else thermometers)
    extra = dict(extra or {})
    clash = sorted(set(extra) & {*codes.COLUMNS, *codes.ANSWERS})
    if clash:
        raise ValueError(f"extra columns may not reuse the persona field names {clash}")
    path = Path(path)
    shown = display(path)
    raw = _read(path, shown)
    text, encoding = _decode(raw)
    kinds = _kinds(therms, extra)
    reader = csv.reader(io.StringIO(text, newline=""))
    counts: dict[str, Counter[str]] = {code: Counter() for code in kinds}
    respondents: list[Respondent] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        index = _header_index(header, required_columns(therms, extra), shown)
        seen: dict[str, int] = {}
        for row in reader:
            if not row or row == [""]:
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise AnesFileError(shown, line, f"{len(row)} cells, the header has {len(header)}")
            values = {
                code: _judged(kind, row[index[code]], code, counts[code], shown, line)
                for code, kind in kinds.items()
            }
            person = _respondent(values, therms, extra)
            if person.id in seen:
                raise AnesFileError(
                    shown, line, f"case ID {person.id} repeats line {seen[person.id]}"
                )
            seen[person.id] = line
            respondents.append(person)
    except csv.Error as exc:
        raise AnesFileError(shown, reader.line_num, f"not valid CSV ({exc})") from None
    missing = {code: dict(sorted(c.items())) for code, c in counts.items() if c}
    return AnesFile(
        shown, hashlib.sha256(raw).hexdigest(), encoding, respondents, missing, therms, extra
    )


def _read(path: Path, shown: str) -> bytes:
    reason = problem(path, WHAT)
    if reason is not None:
        raise AnesFileError(shown, None, reason)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AnesFileError(shown, None, f"cannot be read: {exc.strerror or exc}") from None


def _decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (a BOM dropped); else Latin-1, which the manifest records: the columns read are
    numbers, so only free-text columns the loader ignores could differ."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _kinds(thermometers: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """Variable code -> how its values are judged (a persona field, thermometer, or extra)."""
    kinds = {code: "thermometer" for code in thermometers}
    kinds.update({code: "extra" for code in extra.values()})
    for name, code in codes.COLUMNS.items():
        kinds[code] = "thermometer" if name.endswith("_thermometer") else name
    return kinds


def _header_index(header: list[str], required: dict[str, str], shown: str) -> dict[str, int]:
    absent = [code for code in required if code not in header]
    if len(absent) == len(required):
        raise AnesFileError(
            shown, 1, f"none of the ANES columns (V200001, V201156, ...); is this {WHAT} "
            f"({codes.FILE_NAME})?"
        )  # fmt: skip
    if absent:
        named = ", ".join(f"{c} ({required[c]})" for c in absent[:8])
        more = f" and {len(absent) - 8} more" if len(absent) > 8 else ""
        raise AnesFileError(shown, 1, f"missing required columns: {named}{more}")
    repeated = sorted({c for c in required if header.count(c) > 1})
    if repeated:
        raise AnesFileError(shown, 1, f"column {repeated[0]} appears more than once")
    return {code: header.index(code) for code in required}


def _judged(
    kind: str, cell: str, code: str, counts: Counter[str], shown: str, line: int
) -> int | float | str | None:
    """The cell's value, or None with the reason counted under its code."""
    cell = cell.strip()
    if kind == "case_id":
        if not cell:
            raise AnesFileError(shown, line, f"{code} (case ID) is blank")
        return cell
    if not cell:
        counts["blank"] += 1
        return None
    try:
        number = float(cell)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise AnesFileError(shown, line, f"{code} ({kind}) is {cell!r}, not a number")
    if kind == "weight":
        if number < 0:
            counts[f"{int(number)} {codes.NEGATIVE.get(int(number), 'missing')}"] += 1
            return None
        return number
    if not number.is_integer():
        raise AnesFileError(shown, line, f"{code} ({kind}) is {cell!r}, not a whole-number code")
    value = int(number)
    reason = _reason(kind, value)
    if reason is not None:
        counts[reason] += 1
        return None
    return value


def _reason(kind: str, value: int) -> str | None:
    """Why a code is no answer (negative, reserved, unknown), or None for a valid answer."""
    if value < 0:
        return f"{value} {codes.NEGATIVE.get(value, 'missing')}"
    reserved = codes.POSITIVE_MISSING.get(kind, {})
    if value in reserved:
        return f"{value} {reserved[value]}"
    if kind == "thermometer":
        valid = value <= 100
    elif kind == "age":
        valid = codes.AGE_RANGE[0] <= value <= codes.AGE_RANGE[1]
    elif kind in codes.LABELS:
        valid = value in codes.LABELS[kind]
    else:
        valid = True
    return None if valid else f"{value} unknown code"


def _respondent(
    values: dict[str, Any],
    thermometers: Mapping[str, str],
    extra: Mapping[str, str],
) -> Respondent:
    ratings = {who: values[code] for code, who in thermometers.items()}
    return Respondent(
        id=str(values[codes.COLUMNS["case_id"]]),
        source=codes.SOURCE,
        answers={name: values[codes.COLUMNS[name]] for name in codes.ANSWERS},
        extra={name: values[code] for name, code in extra.items()},
        love=loved(ratings),
        hate=hated(ratings),
        weight=values[codes.COLUMNS["weight"]],
    )
