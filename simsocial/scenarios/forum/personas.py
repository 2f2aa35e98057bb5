"""Forum personas: "Name, one-liner" seeds, read inline or from a file, expanded by the LLM.

Seeds come as a list of lines, or a file: text lines (`#` comments and blank lines skipped), a
CSV with `name` and `description` columns, or a run's `users.parquet` (its `name` and `persona`
columns), so a population expanded once is reusable as the seeds of the next run. A bad seed is
an error naming the file and line (or the list index).

Expansion is list continuation: the model is shown the personas so far and asked for more lines
in the same format. A line is rejected when it is malformed (no "Name, description" shape) or
repeats a name already taken (case-insensitive); rejected lines are kept with their reason for
the `expanded` event, and the shortfall is asked again, for a bounded number of rounds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simsocial.rounds import Rounds
from simsocial.userfiles import UserFileError, display, read_text

MAX_NAME_CHARS = 40
MAX_NAME_WORDS = 4
MAX_DESCRIPTION_CHARS = 300
_PREFIX = re.compile(r"^\s*(?:\d+\s*[.)]|[-*\u2022])\s*")  # "12. ", "3) ", "- ", "* ", "• "
_NAME = re.compile(r"^[^\W\d_][\w'.\-]*(?: [^\W\d_][\w'.\-]*)*$")


@dataclass(frozen=True)
class Persona:
    """One member of the forum."""

    name: str
    description: str

    def line(self) -> str:
        return f"{self.name}, {self.description}"


def parse_line(line: str) -> tuple[Persona | None, str]:
    """A persona from "Name, one-liner" (a list marker such as "12." is dropped), or None and
    why the line is malformed."""
    text = _PREFIX.sub("", line.strip()).strip().strip('"').strip()
    if "," not in text:
        return None, "malformed: no comma between name and description"
    name, _, description = text.partition(",")
    name, description = name.strip(), description.strip()
    if not name:
        return None, "malformed: empty name"
    if not description:
        return None, "malformed: empty description"
    if len(name) > MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        return None, f"malformed: a name is at most {MAX_NAME_WORDS} words of letters"
    if not _NAME.match(name):
        return None, "malformed: a name is words starting with a letter"
    if len(description) > MAX_DESCRIPTION_CHARS:
        return None, f"malformed: description longer than {MAX_DESCRIPTION_CHARS} characters"
    return Persona(name, description), ""


def fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def check_lines(lines: Sequence[str]) -> list[tuple[int, str]]:
    """(index, problem) of every malformed or repeated seed line."""
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        persona, why = parse_line(line)
        if persona is None:
            problems.append((i, f"{why} (expected 'Name, one-liner'): {line!r}"))
        elif fold(persona.name) in seen:
            problems.append((i, f"repeats the name {persona.name!r}"))
        else:
            seen.add(fold(persona.name))
    return problems


def read_seeds(seeds: Sequence[str] | str | Path) -> list[Persona]:
    """The seed personas of `forum.seeds`: a list of lines, or a file (see the module
    docstring). UserFileError (file:line) or ValueError (list index) says what is wrong."""
    if not isinstance(seeds, str | Path):
        problems = check_lines(seeds)
        if problems:
            raise ValueError("; ".join(f"seeds.{i}: {message}" for i, message in problems))
        return [p for p in (parse_line(line)[0] for line in seeds) if p is not None]
    path = Path(seeds)
    shown = display(path)
    suffix = path.suffix.casefold()
    if suffix == ".parquet":
        numbered = _parquet_rows(path, shown)
    elif suffix == ".csv":
        numbered = _csv_rows(read_text(path, "a CSV file of personas"), shown)
    else:
        text = read_text(path, "a file of personas")
        numbered = [
            (n, line)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not numbered:
        raise UserFileError(shown, None, "holds no personas")
    people: list[Persona] = []
    seen: set[str] = set()
    for number, line in numbered:
        persona, why = parse_line(line)
        if persona is None:
            raise UserFileError(shown, number, f"{why} (expected 'Name, one-liner')")
        if fold(persona.name) in seen:
            raise UserFileError(shown, number, f"repeats the name {persona.name!r}")
        seen.add(fold(persona.name))
        people.append(persona)
    return people


def _csv_rows(text: str, shown: str) -> list[tuple[int, str]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip().casefold(): c for c in reader.fieldnames or []}
    missing = [c for c in ("name", "description") if c not in columns]
    if missing:
        raise UserFileError(shown, 1, f"needs the columns name and description; missing {missing}")
    rows = []
    for row in reader:
        name = (row.get(columns["name"]) or "").strip()
        description = (row.get(columns["description"]) or "").strip()
        rows.append((reader.line_num, f"{name}, {description}" if name or description else ""))
    return rows


def _parquet_rows(path: Path, shown: str) -> list[tuple[int, str]]:
    """A run's users.parquet: row r (1-based) as "name, persona"."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # a damaged or foreign file: one line, not a traceback
        raise UserFileError(shown, None, f"cannot be read as Parquet: {exc}") from None
    if not {"name", "persona"} <= set(table.column_names):
        raise UserFileError(shown, None, "is not a users table: needs name and persona columns")
    names, personas = table.column("name").to_pylist(), table.column("persona").to_pylist()
    return [
        (r, f"{n or ''}, {d or ''}")
        for r, (n, d) in enumerate(zip(names, personas, strict=True), 1)
    ]


@dataclass
class Expansion:
    """What list continuation produced: everyone (seeds first) and what it took."""

    people: list[Persona]
    asks: int = 0
    rounds: int = 0
    attempts: int = 0  # lines proposed and read
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {line, reason}

    def payload(self, seeds: int, population: int) -> dict[str, Any]:
        """The `expanded` event."""
        return {
            "seeds": seeds,
            "population": population,
            "attempts": self.attempts,
            "accepted": len(self.people) - seeds,
            "rejected": self.rejected,
            "asks": self.asks,
            "rounds": self.rounds,
            "short": population - len(self.people),
        }


def expand(
    seeds: list[Persona],
    population: int,
    ask: Callable[[list[Persona], int], Any],
    batch: int,
    rounds: int,
) -> Rounds[Expansion]:
    """Grow `seeds` to `population` personas: each round asks `ask(people, k)` for k more lines,
    in requests of at most `batch` lines, all at once; lines are read in ask order, so which of
    two equal names is kept is fixed. At most `rounds` rounds; a shortfall after them is left
    for the caller to record."""
    found = Expansion(list(seeds))
    taken = {fold(p.name) for p in seeds}
    for _ in range(rounds):
        need = population - len(found.people)
        if need <= 0:
            break
        sizes = [min(batch, need - start) for start in range(0, need, batch)]
        answers = yield [ask(found.people, k) for k in sizes]
        found.asks += len(sizes)
        found.rounds += 1
        for answer in answers:
            if not answer.ok:
                error = getattr(answer.record, "error", None) or "no reply"
                found.rejected.append({"line": None, "reason": f"no reply: {error}"})
                continue
            for line in answer.text.splitlines():
                if not line.strip() or len(found.people) >= population:
                    continue
                found.attempts += 1
                persona, why = parse_line(line)
                if persona is not None and fold(persona.name) in taken:
                    persona, why = None, f"duplicate: the name {persona.name!r} is taken"
                if persona is None:
                    found.rejected.append({"line": line.strip(), "reason": why})
                    continue
                taken.add(fold(persona.name))
                found.people.append(persona)
    return found


_BRACKETED = re.compile(r"^\s*\[([^\]]+)\]\s*(.+?)\s*$")


def parse_injected(text: str) -> Persona:
    """A WhatIf persona: "[Name] what they do" (the paper's "[Troll] shares trolling comments.")
    or "Name, one-liner"; ValueError says why neither shape fits."""
    bracketed = _BRACKETED.match(text)
    if bracketed:
        name, description = bracketed.group(1).strip(), bracketed.group(2).strip()
        if name and description:
            return Persona(name, description)
    persona, why = parse_line(text)
    if persona is None:
        raise ValueError(f"expected '[Name] what they do' or 'Name, one-liner' ({why})")
    return persona
