"""Metrics, verdicts and figures of the majority-opinion scenario (De Marzo, Castellano, Garcia).

Adoption: fit the majority force beta to P(m) (binomial likelihood first, the paper's least
squares beside it for comparison) and say in plain words whether a group of N should coordinate
(beta > ln(N) / 2). Dynamics: consensus or not, T_c / N, final m, and the trajectory m(t).
Everything returned by `summarize` is plain Python, so it goes straight to JSON.

A strong model that always joins the majority separates the curve: the likelihood rises without
end and beta runs to the cap. Then beta is reported as "at or above the cap" with the open interval
[lower, inf) (`beta_at_cap` = +1; -1 for a curve that always joins the minority), and N_c is the
lower bound exp(2 lower).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsocial.analysis.fits import (
    BETA_CAP,
    critical_size,
    fit_beta_lsq,
    fit_beta_mle,
)
from simsocial.analysis.loader import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Least-squares beta at N = 50 published by De Marzo, Castellano, Garcia (arXiv 2409.02822).
PUBLISHED_BETA_N50 = {
    "Claude 3.5 Sonnet": 9.14,
    "Claude 3 Opus": 8.55,
    "GPT-4 Turbo": 4.84,
    "GPT-4": 3.72,
    "GPT-4o": 2.86,
    "Claude 3 Sonnet": 2.66,
    "Llama 3 70B": 1.47,
    "Claude 2.0": 0.80,
    "GPT-3.5": 0.16,
    "Claude 3 Haiku": 0.11,
}
DEFAULT_GROUP_SIZE = 50
_FIT = "binomial maximum likelihood of P(A|m) = (1 + tanh(beta m)) / 2 to the adoption counts"
_COUNTS = "from model.parquet (else the reply events)"
GLOSSARY = {
    "experiment": "adoption (curve P(m) from independent queries) or dynamics (updates on a "
    "network); from spec.yaml",
    "n": "adoption: friends shown per query (group size N); dynamics: agents on the network; "
    "count; from spec.yaml",
    "beta_mle": f"majority force beta, {_FIT}; dimensionless; {_COUNTS}",
    "beta_ci_low": f"lower end of beta's 95% profile-likelihood interval (— = open); {_COUNTS}",
    "beta_ci_high": f"upper end of beta's 95% profile-likelihood interval (— = open); {_COUNTS}",
    "beta_lsq": "beta by the paper's unweighted least squares on the fractions p_a (for "
    f"comparison with published values); dimensionless; {_COUNTS}",
    "beta_lsq_stderr": f"curve_fit's standard error of beta_lsq; dimensionless; {_COUNTS}",
    "beta_lsq_error": "why least squares gave no beta (degenerate data)",
    "beta_at_cap": "+1: every reply joined the majority (beta unbounded above), -1: every reply "
    "joined the minority, 0: interior fit",
    "queries": f"decisions asked over the grid; count; {_COUNTS}",
    "replies": f"decisions with a usable A or B answer; count; {_COUNTS}",
    "failed": "decisions without a usable answer (parse error, timeout ...); count; "
    "from model.parquet or events.parquet",
    "failure_kinds": "failed decisions by kind; counts; from manifest.json (llm.failures_by_kind)",
    "grid_points": f"distinct values of m asked; count; {_COUNTS}",
    "coordination_threshold": "ln(N)/2: the beta a group of N needs to reach consensus; "
    "dimensionless; computed from n",
    "coordination_expected": "whether beta_mle > ln(N)/2 (a group of N coordinates); yes/no",
    "critical_size": "N_c = exp(2 beta): largest group that still coordinates if beta held at "
    "every N (from the CI's lower end when beta is at the cap); agents",
    "consensus": "whether every agent came to hold the same opinion; yes/no; from events.parquet",
    "tc_over_n": "consensus time T_c / N in single-agent updates per agent; updates/agent; "
    "from events.parquet (consensus)",
    "final_m": "magnetisation m = (N_A - N_B) / N at the end; -1 to 1; from model.parquet",
    "updates": "single-agent updates made; count; from model.parquet (else update events)",
}


def experiment(run: Run) -> str:
    return str(_opinion_params(run).get("experiment", "adoption"))


def summarize(run: Run) -> dict[str, Any]:
    """The scenario's metrics and a one-sentence verdict, as JSON-ready Python values."""
    if experiment(run) == "dynamics":
        return summarize_dynamics(run)
    return summarize_adoption(run)


def _failure_kinds(run: Run) -> dict[str, int]:
    kinds = (run.manifest.get("llm") or {}).get("failures_by_kind") or {}
    return {str(k): int(n) for k, n in kinds.items() if n}


def figures(run: Run) -> list[tuple[str, Figure]]:
    """(name, figure) pairs for the report: adoption curve and beta, or m(t)."""
    from simsocial.analysis import plots
    from simsocial.analysis.setting import marks

    if experiment(run) == "dynamics":
        metrics = summarize_dynamics(run)
        # an intervention at step s fires before the step's N updates: at t/N = s
        fired = [(float(step), label) for step, label in marks(run)]
        figure = plots.trajectory_figure(trajectory(run), metrics["tc_over_n"], metrics["n"], fired)
        return [("m_trajectory", figure)]
    counts = adoption_counts(run)
    if counts.empty:
        return []
    metrics = summarize_adoption(run)
    model = str(run.manifest.get("model", ""))
    found = [
        ("adoption_curve", plots.adoption_figure(counts, metrics, title=model)),
        ("beta_vs_published", plots.beta_comparison_figure(metrics, PUBLISHED_BETA_N50, model)),
    ]
    return [(name, fig) for name, fig in found if fig is not None]


# --- adoption --------------------------------------------------------------------------------


def adoption_counts(run: Run) -> pd.DataFrame:
    """Per m: adopt_a, adopt_b, failed, queries (asked), p_a; from model.parquet, else events."""
    columns = ["m", "adopt_a", "adopt_b", "failed", "queries", "p_a"]
    table = run.model
    if table.empty or not {"m", "adopt_a", "adopt_b"} <= set(table.columns):
        replies = run.payloads("reply")
        if replies.empty or "m" not in replies:
            return pd.DataFrame(columns=columns)
        adopted = replies["adopted"]
        table = pd.DataFrame(
            {
                "m": replies["m"].astype(float),
                "adopt_a": (adopted == "A").astype(int),
                "adopt_b": (adopted == "B").astype(int),
                "failed": adopted.isna().astype(int),
            }
        )
        table["queries"] = 1
    table = table.copy()
    if "failed" not in table:
        table["failed"] = 0
    if "queries" not in table:
        table["queries"] = table["adopt_a"] + table["adopt_b"] + table["failed"]
    grouped = table.groupby("m", as_index=False)[["adopt_a", "adopt_b", "failed", "queries"]].sum()
    replies_at_m = grouped["adopt_a"] + grouped["adopt_b"]
    grouped["p_a"] = grouped["adopt_a"] / replies_at_m.where(replies_at_m > 0)
    return grouped.sort_values("m").reset_index(drop=True)[columns]


def summarize_adoption(run: Run) -> dict[str, Any]:
    n = int(_opinion_params(run).get("group_size") or DEFAULT_GROUP_SIZE)
    counts = adoption_counts(run)
    metrics: dict[str, Any] = {
        "experiment": "adoption",
        "n": n,
        "beta_mle": None,
        "beta_ci_low": None,
        "beta_ci_high": None,
        "beta_lsq": None,
        "beta_lsq_stderr": None,
        "queries": int(counts["queries"].sum()) if not counts.empty else 0,
        "replies": int((counts["adopt_a"] + counts["adopt_b"]).sum()) if not counts.empty else 0,
        "failed": int(counts["failed"].sum()) if not counts.empty else 0,
        "grid_points": len(counts),
        "coordination_threshold": _round(0.5 * math.log(n)),
        "coordination_expected": None,
        "critical_size": None,
        "beta_at_cap": 0,
    }
    replied = counts[(counts["adopt_a"] + counts["adopt_b"]) > 0]
    try:
        mle = fit_beta_mle(
            replied["m"], replied["adopt_a"], replied["adopt_a"] + replied["adopt_b"]
        )
    except ValueError as exc:
        metrics["verdict"] = f"no fit: {exc} ({metrics['replies']} usable replies)."
        return metrics
    at_cap = at_the_cap(mle.beta)
    # separated: the point estimate is only the cap, so N_c is bounded by the CI's finite end
    bound = mle.ci_low if at_cap > 0 else mle.beta
    metrics.update(
        beta_mle=_round(mle.beta),
        beta_ci_low=_finite(mle.ci_low),
        beta_ci_high=_finite(mle.ci_high),
        beta_at_cap=at_cap,
        coordination_expected=bool(mle.beta > 0.5 * math.log(n)),
        critical_size=_round(critical_size(bound), 4),
    )
    try:
        lsq = fit_beta_lsq(replied["m"], replied["p_a"])
        metrics.update(beta_lsq=_round(lsq.beta), beta_lsq_stderr=_finite(lsq.stderr))
    except (ValueError, RuntimeError) as exc:  # curve_fit gives up on degenerate data sets
        metrics["beta_lsq_error"] = str(exc)
    if metrics["failed"]:
        metrics["failure_kinds"] = _failure_kinds(run)
    metrics["verdict"] = adoption_verdict(metrics, str(run.manifest.get("model") or "this model"))
    return metrics


def adoption_verdict(metrics: dict[str, Any], model: str) -> str:
    """One plain sentence: how strong the majority force is and what it means for a group of N."""
    beta, low, high, n = (metrics[k] for k in ("beta_mle", "beta_ci_low", "beta_ci_high", "n"))
    threshold = 0.5 * math.log(n)
    at_cap = metrics["beta_at_cap"]
    if at_cap > 0:
        return separated_verdict(metrics, model, threshold)
    ci = f"95% CI {_fmt(low, '-inf')} to {_fmt(high, 'open-ended')}"
    numbers = f"beta = {beta:.2f}, {ci}"
    if at_cap < 0:
        numbers = (
            f"beta at or below -{BETA_CAP:g}: every reply joined the minority; "
            f"95% CI (-inf, {_fmt(high, 'inf')}]"
        )
    if high is not None and high < 0:
        text = (
            f"anti-majority force ({numbers}): replies lean towards the minority, so {model} "
            f"is not expected to coordinate"
        )
    elif (low is None or low <= 0) or beta < 0.5:
        text = (
            f"little or no majority force ({numbers}): {model} is not expected to coordinate "
            f"(a group of N = {n} needs beta > ln(N)/2 = {threshold:.2f})"
        )
    elif beta <= threshold:
        text = (
            f"weak majority force ({numbers}): below ln(N)/2 = {threshold:.2f}, so {model} is not "
            f"expected to coordinate in groups of N = {n}"
        )
    else:
        text = (
            f"strong majority force ({numbers}): above ln(N)/2 = {threshold:.2f}, so {model} is "
            f"expected to coordinate in groups of N = {n}, and up to N_c = exp(2 beta) = "
            f"{_fmt_size(metrics['critical_size'])} if beta held at larger N"
        )
    if high is None and beta > 0:
        text += "; the data do not bound beta from above"
    return text + _failed_note(metrics) + "."


def at_the_cap(beta: float) -> int:
    """+1 if the fit ran to the cap (every reply joined the majority), -1 to minus the cap
    (every reply joined the minority), 0 for an interior maximum."""
    if beta >= BETA_CAP:
        return 1
    return -1 if beta <= -BETA_CAP else 0


def separated_verdict(metrics: dict[str, Any], model: str, threshold: float) -> str:
    """The verdict of a separated curve: beta is only bounded below, by the CI's finite end."""
    low, n = metrics["beta_ci_low"], metrics["n"]
    head = (
        f"beta at or above the cap ({BETA_CAP:g}): every reply joined the majority; "
        f"95% CI [{_fmt(low, '-inf')}, inf)"
    )
    if low is not None and low > threshold:
        text = (
            f"strong majority force ({head}): above ln(N)/2 = {threshold:.2f}, so {model} is "
            f"expected to coordinate in groups of N = {n}, and up to at least N_c = exp(2 x "
            f"{low:.2f}) = {_fmt_size(metrics['critical_size'])} if beta held at larger N"
        )
    else:
        text = (
            f"majority force without an upper bound ({head}): too few replies to place the "
            f"lower end above ln(N)/2 = {threshold:.2f}; ask more queries per m"
        )
    return text + _failed_note(metrics) + "."


def _failed_note(metrics: dict[str, Any]) -> str:
    if not metrics["failed"]:
        return ""
    return f"; {metrics['failed']} of {metrics['queries']} decisions failed{_kinds(metrics)}"


def _kinds(metrics: dict[str, Any]) -> str:
    """` (8 parse, 4 timeout)`: what the failed decisions were, from the run's LLM stats."""
    kinds = metrics.get("failure_kinds") or {}
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return f" ({shown})" if shown else ""


# --- dynamics --------------------------------------------------------------------------------


def trajectory(run: Run) -> pd.DataFrame:
    """m after every single-agent update, with t/N; from update events, else per-step rows."""
    n = _network_size(run)
    updates = run.payloads("update")
    if not updates.empty and "t" in updates:
        updates = updates.sort_values("t")
        first = updates.iloc[0]
        flip = {("B", "A"): 2.0 / n, ("A", "B"): -2.0 / n}.get((first["old"], first["new"]), 0.0)
        t = np.concatenate([[0], updates["t"].to_numpy(dtype=float)])
        m = np.concatenate([[float(first["m"]) - flip], updates["m"].to_numpy(dtype=float)])
        return pd.DataFrame({"t": t, "t_over_n": t / n, "m": m})
    table = run.model
    if table.empty or not {"m", "updates"} <= set(table.columns):
        return pd.DataFrame(columns=["t", "t_over_n", "m"])
    t = table["updates"].to_numpy(dtype=float)
    return pd.DataFrame({"t": t, "t_over_n": t / n, "m": table["m"].to_numpy(dtype=float)})


def summarize_dynamics(run: Run) -> dict[str, Any]:
    n = _network_size(run)
    consensus = run.payloads("consensus")
    updates = run.payloads("update")
    table = run.model
    tc_over_n = None if consensus.empty else _round(float(consensus["tc_over_n"].iloc[0]))
    if not table.empty and "updates" in table:
        final_m, total = float(table["m"].iloc[-1]), int(table["updates"].iloc[-1])
    elif not updates.empty:
        final_m, total = float(updates["m"].iloc[-1]), int(updates["t"].max())
    else:
        final_m, total = None, 0
    failed = int(updates["failed"].fillna(False).astype(bool).sum()) if "failed" in updates else 0
    metrics: dict[str, Any] = {
        "experiment": "dynamics",
        "n": n,
        "consensus": tc_over_n is not None,
        "tc_over_n": tc_over_n,
        "final_m": None if final_m is None else _round(final_m),
        "updates": total,
        "failed": failed,
    }
    if tc_over_n is not None:
        side = "A" if float(consensus["m"].iloc[0]) > 0 else "B"
        metrics["verdict"] = (
            f"consensus on opinion {side} after T_c/N = {tc_over_n:.2f} "
            f"({int(consensus['t'].iloc[0])} single-agent updates, N = {n})."
        )
    else:
        final = "n/a" if final_m is None else f"{final_m:.2f}"
        metrics["verdict"] = (
            f"no consensus within {total} updates (t/N = {total / n:.1f}); final m = {final}."
        )
    if failed:
        metrics["failure_kinds"] = _failure_kinds(run)
        metrics["verdict"] = (
            metrics["verdict"][:-1] + f"; {failed} of {total} decisions failed{_kinds(metrics)}."
        )
    return metrics


# --- helpers ---------------------------------------------------------------------------------


def _opinion_params(run: Run) -> dict[str, Any]:
    params = run.spec.get("opinion") or run.manifest.get("spec", {}).get("opinion") or {}
    return params if isinstance(params, dict) else {}


def _network_size(run: Run) -> int:
    network = run.spec.get("network") or {}
    if isinstance(network, dict) and network.get("n"):
        return int(network["n"])
    if not run.agents.empty and "agent_id" in run.agents:
        return int(run.agents["agent_id"].nunique())
    if not run.graphs.empty:
        return len(set(run.graphs["source"]) | set(run.graphs["target"]))
    return 1


def _round(value: float, digits: int = 6) -> float:
    return float(f"{float(value):.{digits}g}") if math.isfinite(value) else float(value)


def _finite(value: float) -> float | None:
    """JSON has no infinity: an open-ended interval end becomes None."""
    return _round(value) if math.isfinite(value) else None


def _fmt(value: float | None, missing: str) -> str:
    return missing if value is None else f"{value:.2f}"


def _fmt_size(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value < 1e6 else f"{value:.1e}"
