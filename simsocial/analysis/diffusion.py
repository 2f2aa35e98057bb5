"""Metrics, figures and the interview transcript of the information-diffusion scenario.

Measured as Park et al. (2023) did: the daily interviews ("Do you know about <topic>?") give the
fraction that *says* it is aware; the event log gives who was truly told (seeds, then anyone an
informed speaker said the news to), so each answer is scored: aware, hallucinated (yes without
being told), missed (told, says no) or unanswered (no reply came back: counted apart, never
read as "no"). Relationship density is 2|E| / (|V| (|V| - 1)) over pairs
who both name each other in the acquaintance interview on the first and the last day. The paper
reports 4% -> 32% aware in two days among 25 agents and density 0.167 -> 0.74.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis.loader import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PAPER = {"aware_start": 0.04, "aware_end": 0.32, "density_start": 0.167, "density_end": 0.74}
_TALK = "from events.parquet"
_ASKED = "from manifest.json (calls)"
GLOSSARY = {
    "agents": "villagers interviewed (else network.n); count; from events.parquet (interview)",
    "days": "simulated days run (one step each); days; from events.parquet (interview)",
    "aware_start": f"share of agents told the news at the start (the seeds); 0-1; {_TALK}",
    "aware_end_reported": f"share who answer yes to 'Do you know about <topic>?' on the last "
    f"day; 0-1; {_TALK} (interview)",
    "aware_end_true": f"share truly told (seeded, or hearing it from an informed speaker) by the "
    f"last day; 0-1; {_TALK} (told)",
    "hallucinated_end": f"agents saying yes on the last day without being told; count; {_TALK}",
    "hallucinated_answers": f"yes answers without being told, over all days; count; {_TALK}",
    "density_start": "2|E| / (|V| (|V| - 1)) over pairs who both name each other, first day; "
    f"0-1; {_TALK} (interview)",
    "density_end": f"the same mutual-acquaintance density on the last day; 0-1; {_TALK}",
    "conversations": f"two-agent conversations held; count; {_TALK}",
    "utterances": f"things said in conversations; count; {_TALK}",
    "told": f"utterances that passed the news on (keywords said by an informed speaker); count; "
    f"{_TALK}",
    "calls_per_agent_step": f"LLM asks per agent per day, all purposes; asks; {_ASKED}",
    "calls_per_utterance": f"LLM asks per utterance; asks; {_ASKED}",
    "gateway_calls_per_agent_step": "model calls plus cache hits per agent per day; asks; "
    "from manifest.json (llm)",
    "reflections": f"reflections the agents made; count; {_ASKED}",
    "calls_per_reflection": f"LLM asks per reflection; asks; {_ASKED}",
}


def agents(run: Run) -> int:
    """Number of villagers (from the interviews, else the spec's network size)."""
    news = run.payloads("interview")
    if not news.empty and "name" in news:
        return int(news["name"].nunique())
    return int((run.spec.get("network") or {}).get("n") or 0)


def awareness(run: Run) -> pd.DataFrame:
    """One row per day (0 = before anyone talked): reported and true aware fractions."""
    n = max(1, agents(run))
    seeds = len(run.payloads("seeded"))
    rows = [{"day": 0, "reported": float("nan"), "true": seeds / n, "hallucinated": 0}]
    news = transcript(run)
    news = news[news["question"] == "news"]
    for day, group in news.groupby("day"):
        rows.append(
            {
                "day": int(day),
                "reported": float((group["answer"] == "yes").mean()),
                "true": float(group["informed"].mean()),
                "hallucinated": int((group["verdict"] == "hallucinated").sum()),
            }
        )
    return pd.DataFrame(rows)


def density(run: Run, when: str) -> float | None:
    """Share of pairs who both say they know each other, at the `start` or the `end`."""
    said = run.payloads("interview")
    if said.empty or "when" not in said:
        return None
    said = said[said["when"] == when]
    if said.empty:
        return None
    known = {name: set(ks) for name, ks in zip(said["name"], said["known"], strict=True)}
    n = len(known)
    mutual = sum(1 for a, ks in known.items() for b in ks if a < b and a in known.get(b, ()))
    return 2 * mutual / (n * (n - 1)) if n > 1 else 0.0


def transcript(run: Run) -> pd.DataFrame:
    """Every interview answer with its score against the ground truth."""
    said = run.payloads("interview")
    columns = ["day", "name", "question", "answer", "informed", "verdict", "reply"]
    if said.empty or "question" not in said:
        return pd.DataFrame(columns=columns)
    rows = []
    for row in said.to_dict("records"):
        if row["question"] == "news":
            yes, told = row.get("answer") == "yes", bool(row.get("informed"))
            verdict = {
                (True, True): "aware",
                (False, False): "unaware",
                (True, False): "hallucinated",
                (False, True): "missed",
            }[(yes, told)]
            if row.get("answer") is None:  # the interview got no reply: not a "no"
                verdict = "no answer"
            answer = row.get("answer") or "(no answer)"
        else:
            told, verdict = None, "failed" if row.get("failed") else ""
            answer = ", ".join(row.get("known") or []) or "(nobody)"
        rows.append(
            {
                "day": int(row["day"]),
                "name": row["name"],
                "question": row["question"],
                "answer": answer,
                "informed": told,
                "verdict": verdict,
                "reply": row.get("reply") or "",
            }
        )
    return pd.DataFrame(rows, columns=columns)


def calls(run: Run) -> dict[str, Any]:
    """LLM asks per agent-step by purpose (the manifest's `calls`), with the gateway total."""
    found = dict(run.manifest.get("calls") or {})
    llm = run.manifest.get("llm") or {}
    steps = found.get("agent_steps") or max(1, agents(run) * int(run.manifest.get("steps_done", 1)))
    found["gateway_calls_per_agent_step"] = (llm.get("calls", 0) + llm.get("cache_hits", 0)) / max(
        1, steps
    )
    return found


def summarize(run: Run) -> dict[str, Any]:
    """Final awareness (said and true), hallucinations, density change, calls per agent-step."""
    curve = awareness(run)
    last = curve.iloc[-1]
    talk = run.payloads("utterance")
    counted = calls(run)
    metrics: dict[str, Any] = {
        "agents": agents(run),
        "days": int(last["day"]),
        "aware_start": float(curve["true"].iloc[0]),
        "aware_end_reported": None if pd.isna(last["reported"]) else float(last["reported"]),
        "aware_end_true": float(last["true"]),
        "hallucinated_end": int(last["hallucinated"]),
        "hallucinated_answers": int(curve["hallucinated"].sum()),
        "density_start": density(run, "start"),
        "density_end": density(run, "end"),
        "conversations": len(run.payloads("conversation")),
        "utterances": len(talk),
        "told": len(run.payloads("told")),
        "calls_per_agent_step": counted.get("per_agent_step"),
        "calls_per_utterance": counted.get("per_utterance"),
        "gateway_calls_per_agent_step": counted["gateway_calls_per_agent_step"],
        "reflections": counted.get("reflections"),
        "calls_per_reflection": counted.get("per_reflection"),
    }
    metrics["verdict"] = verdict(metrics)
    return metrics


def verdict(m: dict[str, Any]) -> str:
    """One sentence: awareness said and true, hallucinations, density, next to the paper."""
    said = m["aware_end_reported"]
    said_text = "no interview answers" if said is None else f"{said:.0%} said they knew"
    dens = (
        f"density {m['density_start']:.2f} -> {m['density_end']:.2f}"
        if m["density_start"] is not None and m["density_end"] is not None
        else "density not measured at both ends"
    )
    return (
        f"After {m['days']} day(s) among {m['agents']} agents, {said_text} and "
        f"{m['aware_end_true']:.0%} had truly been told (from {m['aware_start']:.0%}); "
        f"{m['hallucinated_end']} claimed to know without being told; {dens} "
        f"(paper: 4% -> 32% aware, density 0.167 -> 0.74, 25 agents, 2 days)."
    )


def figures(run: Run) -> list[tuple[str, Figure]]:
    """The awareness curve (said vs truly told) and the density before and after."""
    from simsocial.analysis.plots import mark_interventions, new_figure, styled
    from simsocial.analysis.setting import marks

    curve = awareness(run)
    if len(curve) < 2:
        return []
    with styled():
        fig, ax = new_figure()
        ax.plot(curve["day"], curve["true"], "o-", label="truly told (event log)")
        ax.plot(curve["day"], curve["reported"], "s--", label="says it knows (interview)")
        # step s is day s + 1: an intervention before it falls between days s and s + 1
        mark_interventions(ax, [(step + 0.5, label) for step, label in marks(run)])
        ax.set_xticks(curve["day"])
        ax.set_xlabel("day")
        ax.set_ylabel("fraction of agents")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Awareness of the news")
        ax.legend()
        out = [("awareness", fig)]
        start, end = density(run, "start"), density(run, "end")
        if start is not None and end is not None:
            dfig, dax = new_figure(4.8, 3.6)
            dax.bar(["start", "end"], [start, end], color=["#9db4d6", "#4c72b0"])
            dax.set_ylim(0, 1)
            dax.set_ylabel("2|E| / (|V| (|V| - 1))")
            dax.set_title("Relationship density (both say they know each other)")
            out.append(("density", dfig))
    return out


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    """The interview transcript for the report."""
    return [("Interview transcript", transcript(run))]
