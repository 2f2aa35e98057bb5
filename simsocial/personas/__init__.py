"""Personas: who each LLM-backed agent is, loaded from YAML or CSV or expanded by an LLM.

A persona is plain data (name, description, traits, demographics) and may pin its own model
string, so one population can mix models. Loaders report bad rows with their file and line.
`expand` grows a few hand-written seeds into many through structured output, rejecting
duplicate names, and reports how spread out the traits are.

Survey personas live in submodules, imported on demand: `anes` (the ANES 2020 loader),
`respondent` (the `Respondent` record carrying its true answers), `anes_text` (its words),
`anes_sampler` (weighted, seeded draws), `anes_synthetic` (a sampler calibrated to the published
marginals, for users without the file), `enrich` (occupation, hobbies and bio from an LLM) and
`anes_spec` (the persona source block a scenario kind embeds).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simsocial.errors import SimsocialError
from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import LLMPort
from simsocial.userfiles import UserFileError, display, read_text

EXPAND = Template(
    "personas.expand",
    "Here are example personas for a social simulation:\n{seeds}\n\n"
    "Write {n} new, different personas as `personas`, each with `name` (a unique full name, not "
    "one of: {taken}), `description` (one or two sentences), `traits` (3 to 5 single words) and "
    "`demographics` (age, occupation).",
)


class PersonaError(SimsocialError):
    """A persona file has a bad row; the message names the file and line."""


class Persona(BaseModel):
    """One agent's identity; `model` pins an LLM for this persona only."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    traits: list[str] = Field(default_factory=list)
    demographics: dict[str, str | int | float] = Field(default_factory=dict)
    model: str | None = None

    def render(self) -> str:
        """A short text for prompts."""
        parts = [f"{self.name}: {self.description}".strip()]
        if self.traits:
            parts.append("Traits: " + ", ".join(self.traits) + ".")
        if self.demographics:
            parts.append(", ".join(f"{k}: {v}" for k, v in self.demographics.items()) + ".")
        return " ".join(parts)


def _where(path: Path, line: int | None, err: ValidationError | str) -> PersonaError:
    if isinstance(err, ValidationError):
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in err.errors()
        )
    else:
        detail = err
    return PersonaError(
        f"{display(path)}:{line}: {detail}" if line else f"{display(path)}: {detail}"
    )


def _validated(data: dict[str, Any], path: Path, line: int) -> Persona:
    """A Persona from one row, or a PersonaError naming the file and line."""
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise _where(path, line, exc) from None


def _check_unique(personas: list[tuple[int, Persona]], path: Path) -> list[Persona]:
    seen: dict[str, int] = {}
    for line, p in personas:
        key = p.name.strip().casefold()
        if key in seen:
            raise _where(path, line, f"duplicate name {p.name!r} (first on line {seen[key]})")
        seen[key] = line
    return [p for _, p in personas]


def _text(path: Path) -> str:
    """The file's text through the one reader of user files (devices, loops, size, UTF-8)."""
    try:
        return read_text(path, "a persona file")
    except UserFileError as exc:
        raise PersonaError(str(exc)) from None


def load_yaml(path: str | Path) -> list[Persona]:
    """A YAML list of persona mappings (or {personas: [...]}); aliases and depth are bounded."""
    from simsocial.spec_errors import SpecError
    from simsocial.spec_yaml import parse

    path = Path(path)
    try:
        data, lines, _ = parse(_text(path), display(path))
    except SpecError as exc:
        raise PersonaError(str(exc)) from None
    at: tuple[str, ...] = ()
    if isinstance(data, dict) and "personas" in data:
        data, at = data["personas"], ("personas",)
    if not isinstance(data, list):
        raise _where(path, lines.get(()), "expected a list of personas (or a 'personas:' list)")
    out = []
    for i, item in enumerate(data):
        line = lines.get((*at, str(i)), 0)
        if not isinstance(item, dict):
            raise _where(path, line, "each persona must be a mapping")
        out.append((line, _validated(item, path, line)))
    return _check_unique(out, path)


def load_csv(path: str | Path) -> list[Persona]:
    """CSV with columns name, description, traits (separated by ';'), model; every other
    column is a demographic (empty cells left out; integers kept as integers)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(_text(path), newline=""))
    header = reader.fieldnames or []
    if "name" not in header:
        found = ", ".join(repr(h) for h in header) if header else "no columns"
        raise _where(path, 1, f"the header needs a 'name' column (found {found})")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise _where(path, 1, f"column {repeated[0]!r} appears more than once in the header")
    out = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise _where(path, line, "more cells than header columns")
            out.append((line, _validated(_row(row), path, line)))
    except csv.Error as exc:
        raise _where(path, reader.line_num, f"not valid CSV ({exc})") from None
    return _check_unique(out, path)


def _row(row: dict[str, str | None]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": (row.pop("name") or "").strip()}
    data["description"] = (row.pop("description", "") or "").strip()
    data["traits"] = [t.strip() for t in (row.pop("traits", "") or "").split(";")]
    data["traits"] = [t for t in data["traits"] if t]
    data["model"] = (row.pop("model", "") or "").strip() or None
    data["demographics"] = {
        k: int(v) if v.strip().lstrip("-").isdigit() else v.strip()
        for k, v in row.items()
        if v is not None and v.strip()
    }
    return data


def load(path: str | Path) -> list[Persona]:
    """By extension: .yaml/.yml or .csv."""
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml(path)
    if suffix == ".csv":
        return load_csv(path)
    raise PersonaError(f"{display(path)}: persona files are .yaml, .yml or .csv, not {suffix!r}")


class PersonaBatch(BaseModel):
    personas: list[Persona]


@dataclass(slots=True)
class ExpansionReport:
    """How the expansion went: calls, rejected duplicates, and the spread of traits."""

    calls: int = 0
    failed_calls: int = 0
    rejected_duplicates: list[str] = field(default_factory=list)
    trait_counts: dict[str, int] = field(default_factory=dict)
    personas: int = 0

    @property
    def distinct_traits(self) -> int:
        return len(self.trait_counts)

    @property
    def top_trait_share(self) -> float:
        """Share of personas carrying the most common trait (1.0 = no spread at all)."""
        return 0.0 if not self.trait_counts else max(self.trait_counts.values()) / self.personas


def expand(
    seeds: list[Persona], n: int, llm: LLMPort, per_call: int = 5, max_calls: int = 20
) -> tuple[list[Persona], ExpansionReport]:
    """`n` new personas in the style of `seeds`, names unique among seeds and new ones."""
    if not seeds:
        raise ValueError("expand needs at least one seed persona")
    report = ExpansionReport()
    taken = {p.name.strip().casefold() for p in seeds}
    new: list[Persona] = []
    shown = "\n".join(p.model_dump_json(exclude_none=True) for p in seeds)
    while len(new) < n and report.calls < max_calls:
        want = min(per_call, n - len(new))
        names = ", ".join([p.name for p in seeds] + [p.name for p in new])
        prompt = EXPAND.render(seeds=shown, n=want, taken=names)
        (answer,) = llm.structured_many([prompt], PersonaBatch)
        report.calls += 1
        if answer is None:
            report.failed_calls += 1
            continue
        for p in answer.personas:
            if len(new) == n:
                break
            key = p.name.strip().casefold()
            if not key or key in taken:
                report.rejected_duplicates.append(p.name)
                continue
            taken.add(key)
            new.append(p)
    report.trait_counts = dict(
        Counter(t for p in new for t in {x.strip().casefold() for x in p.traits})
    )
    report.personas = len(new)
    return new, report
