"""`simsocial validate` reads what `run` will read and checks interventions against the scenario:
each mistake that used to pass validate and fail at step 2 is now one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

from simsocial.spec import load_scenario

cli = pytest.importorskip("simsocial.cli")

DYNAMICS = "name: x\nkind: opinion\nsteps: 5\nnetwork: {n: 10}\nopinion: {experiment: dynamics}\n"


def errors(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The located lines `simsocial validate` prints (exit 1, no traceback)."""
    assert cli.main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    return lines[1:] if lines[0] == "error:" else [lines[0].removeprefix("error: ")]


def scenario(folder: Path, text: str) -> Path:
    path = folder / "x.yaml"
    path.write_text(text)
    return path


def interventions(folder: Path, *entries: str, head: str = DYNAMICS) -> Path:
    return scenario(folder, head + "interventions:\n" + "".join(f"  - {e}\n" for e in entries))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("who,description\nAnn,baker\n", "p.csv:1: the header needs a 'name' column (found 'who', "
         "'description')"),
        ("", "p.csv:1: the header needs a 'name' column (found no columns)"),
        ("name,age,age\nAnn,3,4\n", "p.csv:1: column 'age' appears more than once in the header"),
        ("name,description\nAnn,fine,extra\n", "p.csv:2: more cells than header columns"),
        ("name\nAnn\nann\n", "p.csv:3: duplicate name 'ann' (first on line 2)"),
    ],
    ids=["no name column", "empty", "repeated column", "extra cell", "duplicate"],
)  # fmt: skip
def test_persona_csv_is_read_at_validate(tmp_path, capsys, text, message):
    """A persona file that `run` could not load fails `validate`, naming its own file and line."""
    (tmp_path / "p.csv").write_text(text)
    path = scenario(tmp_path, "name: x\nkind: diffusion\ndiffusion: {personas: p.csv}\n")
    (line,) = errors(path, capsys)
    assert line == f"{path}:3: diffusion.personas: {tmp_path / message}"


def test_persona_yaml_bomb_is_refused(tmp_path, capsys):
    """Persona YAML goes through the same bounded reader as scenarios."""
    rows = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (tmp_path / "p.yaml").write_text("\n".join(rows) + "\n")
    path = scenario(tmp_path, "name: x\nkind: diffusion\ndiffusion: {personas: p.yaml}\n")
    (line,) = errors(path, capsys)
    assert line.startswith(f"{path}:3: diffusion.personas: {tmp_path / 'p.yaml'}:6: aliases")


def test_more_personas_than_agents(tmp_path, capsys):
    """Personas beyond the network's size would be dropped without a word."""
    (tmp_path / "p.csv").write_text("name\nA\nB\nC\n")
    path = scenario(
        tmp_path, "name: x\nkind: diffusion\nnetwork: {n: 2}\ndiffusion: {personas: p.csv}\n"
    )
    (line,) = errors(path, capsys)
    assert line == (
        f"{path}:4: diffusion.personas: holds 3 personas but the network has 2 agents; remove "
        "some or raise network.n"
    )


def test_edge_list_count_and_seeds(tmp_path, capsys):
    """What only the edge list knows: its node count against n and diffusion.seeds."""
    (tmp_path / "e.txt").write_text("1 2\n2 3\n")
    path = scenario(
        tmp_path,
        "name: x\nkind: diffusion\nnetwork: {generator: edge_list, path: e.txt}\n"
        "diffusion: {seeds: 5}\n",
    )
    (line,) = errors(path, capsys)
    assert line == f"{path}:4: diffusion.seeds: must be at most the number of agents (3), got 5"
    path = scenario(
        tmp_path,
        "name: x\nkind: opinion\nnetwork: {generator: edge_list, path: e.txt, n: 4}\n"
        "opinion: {experiment: dynamics}\n",
    )
    (line,) = errors(path, capsys)
    assert line == f"{path}:3: network.n: is 4 but the edge list has 3 nodes"


def test_interventions_against_the_opinion_scenario(tmp_path, capsys):
    """Labels, traits, metrics and steps are checked where `run` would only fail later."""
    path = interventions(
        tmp_path,
        "{at: 1, do: set_state, state: {opinion: C}}",
        "{at: 1, do: set_state, select: {trait: {colour: red}}, state: {zealot: true}}",
        '{when: "mm > 1", do: broadcast, message: hi}',
        "{at: 7, do: broadcast, message: hi}",
        "{at: 1, do: set_state, select: {trait: {opinion: [A, C]}}, state: {zealot: 1}}",
        "{at: 1, do: add_agents, count: 2, state: {mood: happy}}",
    )
    assert errors(path, capsys) == [
        f"{path}:7: interventions.0.state.opinion: must be 'A' or 'B', got \"C\"",
        f"{path}:8: interventions.1.select.trait.colour: agents have no trait 'colour'; known: "
        "node, opinion, zealot",
        f"{path}:9: interventions.2.when: unknown metric 'mm' (did you mean 'm'?); metrics: "
        "consensus, m, n_a, n_b, step, updates, zealots",
        f"{path}:10: interventions.3.at: step 7 is never reached: the run's steps are 0..4 "
        "(steps: 5)",
        f"{path}:11: interventions.4.select.trait.opinion: selects nobody: opinion is 'A' or 'B' "
        'for every agent, got "C"',
        f"{path}:11: interventions.4.state.zealot: must be true or false, got 1",
        f"{path}:12: interventions.5.state.mood: agents have no settable attribute 'mood'; "
        "known: opinion, zealot",
    ]


def test_kinds_the_scenario_cannot_apply(tmp_path, capsys):
    """A kind needing a hook the model lacks is refused at validate, with the reason."""
    adoption = "name: x\nkind: opinion\nsteps: 5\n"
    path = interventions(tmp_path, "{at: 1, do: remove_edges, fraction: 0.1}", head=adoption)
    assert errors(path, capsys) == [
        f"{path}:5: interventions.0.do: scenario kind 'opinion' does not support 'remove_edges' "
        "(opinion.experiment 'adoption' has no network; use 'dynamics')"
    ]
    growth = "name: x\nkind: growth\nsteps: 40\n"
    path = interventions(
        tmp_path,
        "{at: 3, do: add_agents, count: 2}",
        "{at: 3, do: set_state, state: {opinion: A}}",
        head=growth,
    )
    assert errors(path, capsys) == [
        f"{path}:5: interventions.0.do: scenario kind 'growth' does not support 'add_agents' "
        "(a growth agent exists only while it arrives; only links can be changed)",
        f"{path}:6: interventions.1.state.opinion: agents of scenario kind 'growth' have no "
        "state an intervention can set, so 'opinion' cannot be used",
    ]


def test_blocks_and_persona_fields_are_traits(tmp_path):
    """An SBM's block and a persona file's demographics are traits selectors may name."""
    (tmp_path / "p.csv").write_text("name,age\nAnn,40\n")
    sbm = "{generator: stochastic_block, params: {sizes: [3, 3], p: [[0.5, 0.1], [0.1, 0.5]]}}"
    path = interventions(
        tmp_path,
        "{at: 0, do: broadcast, select: {trait: {block: 1, age: 40}}, message: hi}",
        "{at: 1, do: set_state, select: {trait: {node: 2}}, state: {informed: true}}",
        head=f"name: x\nkind: diffusion\nnetwork: {sbm}\ndiffusion: {{personas: p.csv}}\n",
    )
    assert len(load_scenario(path).interventions) == 2
    path = interventions(
        tmp_path,
        "{at: 0, do: broadcast, select: {trait: {block: 2}}, message: hi}",
        head=f"name: x\nkind: opinion\nnetwork: {sbm}\nopinion: {{experiment: dynamics}}\n",
    )
    with pytest.raises(Exception, match=r"block is 0 or 1 for every agent, got 2"):
        load_scenario(path)


def test_set_param_cannot_change_the_population(tmp_path, capsys):
    """growth.n mid-run would outgrow the arrays sized at the start; it is refused."""
    path = interventions(
        tmp_path,
        "{at: 3, do: set_param, path: growth.n, value: 80}",
        head="name: x\nkind: growth\nsteps: 40\n",
    )
    assert errors(path, capsys) == [
        f"{path}:5: interventions.0.path: 'growth.n' fixes the population and cannot change "
        "mid-run; use add_agents, remove_agents or remove_edges"
    ]
