"""Start-up cost: `python -c "import simsocial"` and `simsocial --help`, against the 1 s target.

Heavy libraries (litellm, mesa, seaborn, matplotlib, llama_cpp, torch) must be imported lazily;
the litellm import is timed as well, to show what laziness saves.

    .venv/bin/python benchmarks/bench_import.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 1.0


def wall(command: list[str], repeat: int) -> float | None:
    """Median wall seconds of a command, or None when it fails."""
    times = []
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            print(f"  ({' '.join(command)} failed: {done.stderr.strip().splitlines()[-1:]})")
            return None
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    rows: list[tuple[str, float | None]] = [
        ("python -c 'pass' (interpreter)", wall([python, "-c", "pass"], args.repeat)),
        ("python -c 'import simsocial'", wall([python, "-c", "import simsocial"], args.repeat)),
        (
            "python -c 'import simsocial.llm'",
            wall([python, "-c", "import simsocial.llm"], args.repeat),
        ),
    ]
    if importlib.util.find_spec("simsocial.cli") is not None:
        script = shutil.which("simsocial") or str(Path(python).parent / "simsocial")
        command = (
            [script, "--help"]
            if Path(script).exists()
            else [python, "-m", "simsocial.cli", "--help"]
        )
        rows.append(("simsocial --help", wall(command, args.repeat)))
    else:
        print("  (simsocial.cli not present yet: `simsocial --help` skipped)")
    litellm = wall([python, "-c", "import litellm"], 1)
    print(f"\n{'start-up':<36}{'ours (s)':>10}{'target (s)':>12}{'ratio':>8}")
    for name, seconds in rows:
        if seconds is None:
            print(f"{name:<36}{'failed':>10}{TARGET_S:>12.2f}{'':>8}")
        else:
            print(f"{name:<36}{seconds:>10.3f}{TARGET_S:>12.2f}{seconds / TARGET_S:>8.2f}")
    if litellm is not None:
        print(f"{'(for scale) import litellm':<36}{litellm:>10.3f}{'':>12}{'':>8}")
    measured = [
        s for name, s in rows if s is not None and "simsocial" in name and "llm" not in name
    ]
    verdict = "PASS" if measured and max(measured) < TARGET_S else "FAIL"
    print(f"\ntarget: import simsocial and simsocial --help under 1 s -> {verdict}")


if __name__ == "__main__":
    main()
