"""Bounds: a short file that would cost minutes or gigabytes, a size no run could hold, and a path
that is not a readable file are each one located line from `simsocial validate`, quickly."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from simsocial.limits import MAX_AGENTS, MAX_STEPS
from simsocial.spec import load_scenario
from simsocial.spec_yaml import MAX_DEPTH

cli = pytest.importorskip("simsocial.cli")

HEAD = "name: x\nkind: opinion\n"
DYNAMICS = "opinion: {experiment: dynamics}\n"


def bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs document: each level lists `width` aliases of the one before."""
    rows = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return HEAD + "\n".join(rows) + "\n"


def error(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line `simsocial validate` prints (exit 1, no traceback)."""
    assert cli.main(["validate", str(path), *args]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_alias_bomb_is_refused_in_under_a_second(tmp_path, capsys):
    """9^8 paths from a file under 1 KB: refused at the alias that passes the limit."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    assert path.stat().st_size < 1024
    started = time.perf_counter()
    line = error(path, capsys)
    assert time.perf_counter() - started < 5.0  # expanding it would take hours
    assert line.startswith(f"error: {path}:8: aliases (*a4 and the ones before it) repeat more")
    assert line.endswith("a scenario may not expand that much (an alias bomb?)")


def test_a_few_aliases_are_fine(tmp_path):
    """Reusing a block with an anchor is ordinary YAML and still loads."""
    path = tmp_path / "x.yaml"
    path.write_text(
        HEAD + "llm: &llm {model: scripted/random, temperature: 0.3}\n"
        "description: &d shared text\nopinion: {template: '{friends}'}\n"
    )
    assert load_scenario(path).llm.temperature == 0.3


def test_recursive_alias_is_one_line(tmp_path, capsys):
    """An alias inside its own anchor would make every walk endless."""
    path = tmp_path / "x.yaml"
    path.write_text(HEAD + "description: &d [1, *d]\n")
    line = error(path, capsys)
    assert line == f"error: {path}:3: alias *d is inside its own anchor (a recursive structure)"


def test_deep_nesting_is_one_line(tmp_path, capsys):
    """Nesting past the limit is refused before any recursive walk; far deeper nesting is one
    line too (newer libyaml stops at 1,000 levels by itself)."""
    path = tmp_path / "x.yaml"
    path.write_text(HEAD + "description: " + "[" * 500 + "]" * 500 + "\n")
    line = error(path, capsys)
    assert (
        line == f"error: {path}:3: nested more than {MAX_DEPTH} levels deep; flatten the document"
    )
    path.write_text(HEAD + "description: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert error(path, capsys).startswith(f"error: {path}:3: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "steps: 100000000000000000000000000\n",
            "{f}:3: steps: must be at most 10,000,000 (each step writes table rows and asks the "
            "model), got 1e+26",
        ),
        (
            "network: {n: 1000000000}\n" + DYNAMICS,
            "{f}:3: network.n: must be at most 10,000,000 nodes (each costs about 1 KB and an "
            "LLM call a step), got 1,000,000,000",
        ),
        (
            "network: {generator: lattice, params: {dim: [100000, 100000]}}\n" + DYNAMICS,
            "{f}:3: network.params.dim: give 10,000,000,000 nodes, but n must be at most "
            "10,000,000 nodes",
        ),
        (
            "network: {n: 100000}\n" + DYNAMICS,
            "{f}:3: network.n: complete on n = 100,000 nodes has about 5e+09 edges, about "
            "1.36 TiB in memory; the limit is 8 GiB",
        ),
        (
            "network: {generator: erdos_renyi, n: 1000000, params: {p: 0.5}}\n" + DYNAMICS,
            "{f}:3: network.n: erdos_renyi on n = 1,000,000 nodes has about 2.5e+11 edges",
        ),
        (
            "opinion: {queries: 20000000}\n",
            "{f}:3: opinion.queries: must be at most 10,000,000 respondents",
        ),
        (
            "opinion: {group_size: 1000000}\n",
            "{f}:3: opinion.group_size: must be at most 100,000 friends (about a million "
            "tokens in one prompt, beyond any model's context), got 1,000,000",
        ),
    ],
)
def test_sizes_beyond_the_limits_say_why(tmp_path, capsys, text, expected):
    """Population, steps and graph memory are checked against stated limits, with the reason."""
    path = tmp_path / "x.yaml"
    path.write_text(HEAD + text)
    assert error(path, capsys).startswith("error: " + expected.format(f=path))


def test_sizes_at_the_limits_validate(tmp_path):
    """The limits themselves are allowed; a sparse network of 10^7 nodes validates."""
    path = tmp_path / "x.yaml"
    path.write_text(
        HEAD + f"steps: {MAX_STEPS}\nnetwork: {{generator: watts_strogatz, n: {MAX_AGENTS}, "
        "params: {k: 4, p: 0.1}}\n" + DYNAMICS
    )
    assert load_scenario(path).network.n == MAX_AGENTS


def test_growth_size_limit(tmp_path, capsys):
    """Growth's own population (growth.n) has the same limit."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: growth\nsteps: 10\ngrowth: {n: 100000000}\n")
    line = error(path, capsys)
    assert line.startswith(f"error: {path}:4: growth.n: must be at most 10,000,000 nodes")


def edge_file(tmp_path: Path, target: str) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(HEAD + f"network: {{generator: edge_list, path: '{target}'}}\n" + DYNAMICS)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: str(d / "nowhere.txt"), "file not found"),
        (lambda d: str(d), "is a directory, not a file"),
        (lambda d: "/dev/zero", "is a device, not a file"),
        (lambda d: _loop(d), "is a symlink loop (a link that points back to itself)"),
        (lambda d: _fifo(d), "is a named pipe, not a file"),
        (lambda d: _broken(d), "file not found"),
    ],
    ids=["missing", "directory", "device", "loop", "fifo", "broken link"],
)
def test_paths_that_are_not_files_get_one_line_each(tmp_path, capsys, make, reason):
    """Never "file not found" for something that exists, never a traceback, never a hang."""
    target = make(tmp_path)
    line = error(edge_file(tmp_path, target), capsys)
    assert line.startswith(f"error: {tmp_path / 'x.yaml'}:3: network.path: {reason}")
    if target.endswith("link"):  # a dangling link names where it points
        assert line.endswith("gone.txt)")


def _loop(folder: Path) -> str:
    (folder / "loop").symlink_to(folder / "loop")
    return str(folder / "loop")


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe")
    return str(folder / "pipe")


def _broken(folder: Path) -> str:
    (folder / "link").symlink_to(folder / "gone.txt")
    return str(folder / "link")


def test_unreadable_file(tmp_path, monkeypatch, capsys):
    """A file the user may not read says so (simulated: tests may run as root)."""
    target = tmp_path / "edges.txt"
    target.write_text("1 2\n")
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(target) else real(p, mode)
    )
    line = error(edge_file(tmp_path, str(target)), capsys)
    assert "x.yaml:3: network.path: cannot be read: permission denied: " in line
    assert line.endswith(f"({target})")


def test_scenario_path_itself(tmp_path, capsys):
    """The scenario file goes through the same reader: a device or a loop is one line."""
    assert error(Path("/dev/zero"), capsys) == "error: /dev/zero: is a device, not a scenario file"
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    line = error(tmp_path / "loop.yaml", capsys)
    assert (
        line
        == f"error: {tmp_path / 'loop.yaml'}: is a symlink loop (a link that points back to itself)"
    )


def test_too_deep_condition_is_one_line(tmp_path, capsys):
    """A condition nested thousands deep is refused by length or depth, not a RecursionError."""
    for when, reason in (
        ("not " * 5000 + "m > 0", "is 20,005 characters long; at most 1,000 are allowed"),
        ("-" * 900 + "m > 0", "is nested 904 levels deep; at most 50 are allowed"),
    ):
        path = tmp_path / "x.yaml"
        path.write_text(
            HEAD
            + "network: {n: 10}\n"
            + DYNAMICS
            + f'interventions:\n  - {{when: "{when}", do: broadcast, message: hi}}\n'
        )
        assert error(path, capsys) == f"error: {path}:6: interventions.0.when: {reason}"
