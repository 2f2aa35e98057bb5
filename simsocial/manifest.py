"""What a run's manifest.json records: its id, the versions it ran with, and how its asks fared.

The manifest is also the commit point of every phase of a run (see simsocial.store); this module
holds what goes into it, the runner decides when.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from simsocial.llm.failures import NOT_ASKED
from simsocial.store import utc_now

if TYPE_CHECKING:
    from simsocial.spec_models import ScenarioSpec

RECORDED_PACKAGES = (
    "simsocial", "mesa", "litellm", "openai", "networkx", "numpy", "pandas", "pydantic",
    "scipy", "pyarrow", "llama_cpp_python",
)  # fmt: skip


def new_run_id(spec: ScenarioSpec) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    salt = hashlib.blake2b(f"{stamp}{spec.model_dump_json()}".encode(), digest_size=3).hexdigest()
    return f"{stamp}-s{spec.seed}-{salt}"


def new_manifest(spec: ScenarioSpec, run_id: str, steps_done: int = 0) -> dict[str, Any]:
    """The manifest of a run that is about to start; the runner fills in the rest as it goes."""
    return {
        "run_id": run_id,
        "scenario": spec.name,
        "kind": spec.kind,
        "seed": spec.seed,
        "status": "running",
        "started_at": utc_now(),
        "ended_at": None,
        "model": spec.llm.model,
        "temperature": spec.llm.temperature,
        "steps_done": steps_done,
        "versions": package_versions(),
        "spec": spec.model_dump(mode="json"),
        "parent": None,
    }


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions.items())


def package_versions() -> dict[str, str]:
    """Versions recorded in the manifest (read once per process: metadata parsing is slow)."""
    return dict(_versions())


def failed_share(stats: dict[str, Any]) -> float:
    """Failed asks over all asks (a budget stop is its own status, not a failure here)."""
    failures = stats.get("failures_by_kind", {})
    failed = sum(n for kind, n in failures.items() if kind != "budget")
    not_sent = sum(n for kind, n in failures.items() if kind in NOT_ASKED)
    asked = stats.get("calls", 0) + stats.get("cache_hits", 0) + stats.get("dedup_hits", 0)
    total = asked + not_sent
    return round(failed / total, 6) if total else 0.0


def replay_misses(stats: dict[str, Any]) -> int:
    return int(stats.get("failures_by_kind", {}).get("replay_miss", 0))
