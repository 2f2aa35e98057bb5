"""Figures for reports and notebooks, drawn with seaborn's style on bare matplotlib Figures.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so no global figure state
leaks between reports and no display backend is needed (PNG output goes through Agg). A notebook
shows them with `display(fig)`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.analysis.fits import BETA_CAP, tanh_curve

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@contextmanager
def styled() -> Iterator[None]:
    """seaborn's whitegrid look for the figures made inside, without touching global rcParams."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
        yield


def new_figure(width: float = 6.4, height: float = 4.2) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def figure_png(fig: Figure, dpi: int = 120) -> bytes:
    """The figure as PNG bytes (Agg), for embedding in HTML or writing to disk."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def wilson_interval(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval of each binomial proportion (NaN where there were no trials)."""
    from scipy.stats import binomtest

    low = np.full(len(trials), np.nan)
    high = np.full(len(trials), np.nan)
    for i, (k, n) in enumerate(zip(successes, trials, strict=True)):
        if n > 0:
            ci = binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
            low[i], high[i] = ci.low, ci.high
    return low, high


def adoption_figure(counts: pd.DataFrame, metrics: Mapping[str, Any], title: str = "") -> Figure:
    """P(m) observed (Wilson 95% bars), the likelihood fit with its CI band, and least squares."""
    import seaborn as sns

    with styled():
        fig, ax = new_figure()
        colors = sns.color_palette("deep")
        replies = (counts["adopt_a"] + counts["adopt_b"]).to_numpy()
        p = counts["p_a"].to_numpy(dtype=float)
        low, high = wilson_interval(counts["adopt_a"].to_numpy(), replies)
        m = counts["m"].to_numpy(dtype=float)
        ax.errorbar(
            m, p, yerr=[p - low, high - p], fmt="o", color="black", ms=4, capsize=2,
            label="observed (Wilson 95%)", zorder=3,
        )  # fmt: skip
        x = np.linspace(-1, 1, 401)
        beta = metrics.get("beta_mle")
        if beta is not None:
            lo = _capped(metrics.get("beta_ci_low"), -BETA_CAP)
            hi = _capped(metrics.get("beta_ci_high"), BETA_CAP)
            ax.fill_between(
                x, np.minimum(tanh_curve(x, lo), tanh_curve(x, hi)),
                np.maximum(tanh_curve(x, lo), tanh_curve(x, hi)),
                color=colors[0], alpha=0.2, lw=0, label=f"95% CI [{_num(lo)}, {_num(hi)}]",
            )  # fmt: skip
            ax.plot(x, tanh_curve(x, beta), color=colors[0], lw=2, label=_beta_label(beta))
        if metrics.get("beta_lsq") is not None:
            stderr = metrics.get("beta_lsq_stderr")
            spread = f" ± {stderr:.2f}" if stderr is not None else ""
            ax.plot(
                x, tanh_curve(x, metrics["beta_lsq"]), color=colors[1], lw=1.5, ls="--",
                label=f"least squares (paper): β = {metrics['beta_lsq']:.2f}{spread}",
            )  # fmt: skip
        ax.set(xlim=(-1.02, 1.02), ylim=(-0.02, 1.02), xlabel="m = (N_A − N_B) / N",
               ylabel="P(adopt A)")  # fmt: skip
        ax.set_title(f"{title}  (N = {metrics.get('n')})" if title else f"N = {metrics.get('n')}")
        ax.legend(loc="upper left", fontsize="small")
    return fig


def beta_comparison_figure(
    metrics: Mapping[str, Any], published: Mapping[str, float], model: str
) -> Figure | None:
    """This run's beta (with CI) among the published ones, beside the threshold ln(N)/2.

    A fit at the cap (a separated curve: every reply joined the majority, or the minority) has
    no point estimate, only the CI's finite end: it is drawn as an arrow from that end to the
    edge of the axis, labelled as such, never as error bars around the cap.
    """
    import seaborn as sns

    beta = metrics.get("beta_mle")
    if beta is None:
        return None
    lo, hi = metrics.get("beta_ci_low"), metrics.get("beta_ci_high")
    capped = abs(beta) >= BETA_CAP
    finite = [v for v in (*published.values(), lo, hi, None if capped else beta) if v is not None]
    left = min(0.0, *finite) * 1.15 - 0.3
    right = max(0.0, *finite) * 1.15 + 0.5
    with styled():
        fig, ax = new_figure(6.4, 0.32 * (len(published) + 1) + 1.3)
        colors = sns.color_palette("deep")
        names = [*published, model or "this run"][::-1]
        ax.scatter(list(published.values())[::-1], names[1:], color="grey", s=25,
                   label="published, N = 50 (LSQ)")  # fmt: skip
        if capped:
            start, end = (lo, right) if beta > 0 else (hi, left)
            start = (left if beta > 0 else right) if start is None else start
            side = "above" if beta > 0 else "below"
            joined = "majority" if beta > 0 else "minority"
            ax.annotate("", xy=(end, names[0]), xytext=(start, names[0]),
                        arrowprops={"arrowstyle": "->", "color": colors[3], "lw": 1.5})  # fmt: skip
            ax.scatter([start], [names[0]], color=colors[3], marker="|", s=120,
                       label=f"this run: β at or {side} the cap, every reply joined the {joined}"
                       f" (95% CI {_interval(lo, hi)})")  # fmt: skip
        else:
            err_lo = beta - (left if lo is None else lo)
            err_hi = (right if hi is None else hi) - beta
            ax.errorbar(
                [beta], [names[0]], xerr=[[max(0.0, err_lo)], [max(0.0, err_hi)]], fmt="o",
                color=colors[3], capsize=3, label="this run (likelihood, 95% CI)",
            )  # fmt: skip
        threshold = 0.5 * math.log(metrics.get("n") or 50)
        ax.axvline(threshold, color="black", ls=":", lw=1, label=f"ln(N)/2, N = {metrics.get('n')}")
        ax.set(xlabel="majority force β", xlim=(left, right))
        ax.legend(loc="lower right", fontsize="small")
    return fig


def mark_interventions(ax: Axes, marks: Sequence[tuple[float, str]]) -> None:
    """A labelled vertical line at each x where an intervention fired, so a jump has its cause."""
    for x, label in marks:
        ax.axvline(x, color="#b42318", ls="-.", lw=1, alpha=0.8)
        ax.annotate(
            label, xy=(x, 0.98), xycoords=("data", "axes fraction"), rotation=90, va="top",
            ha="right", fontsize=7, color="#b42318",
        )  # fmt: skip


def trajectory_figure(
    traj: pd.DataFrame,
    tc_over_n: float | None,
    n: int,
    marks: Sequence[tuple[float, str]] = (),
) -> Figure:
    """m against t/N for one dynamics run, consensus time and interventions (at t/N) marked."""
    import seaborn as sns

    with styled():
        fig, ax = new_figure(6.4, 3.6)
        colors = sns.color_palette("deep")
        ax.plot(traj["t_over_n"], traj["m"], drawstyle="steps-post", color=colors[0], lw=1.2,
                label="m(t)")  # fmt: skip
        for level in (-1, 1):
            ax.axhline(level, color="grey", ls=":", lw=1)
        if tc_over_n is not None:
            m_end = float(traj["m"].iloc[-1]) if len(traj) else 1.0
            ax.axvline(tc_over_n, color=colors[3], ls="--", lw=1)
            ax.scatter([tc_over_n], [m_end], color=colors[3], zorder=3,
                       label=f"consensus, T_c/N = {tc_over_n:.2f}")  # fmt: skip
        mark_interventions(ax, marks)
        ax.set(ylim=(-1.08, 1.08), xlabel="t / N (single-agent updates per agent)", ylabel="m")
        ax.set_title(f"Opinion dynamics, N = {n}")
        ax.legend(loc="lower right", fontsize="small")
    return fig


def _beta_label(beta: float) -> str:
    """The legend of the likelihood curve; at the cap the curve is a step and beta unbounded."""
    if beta >= BETA_CAP:
        return "likelihood: β at or above the cap (every reply joined the majority)"
    if beta <= -BETA_CAP:
        return "likelihood: β at or below −cap (every reply joined the minority)"
    return f"likelihood: β = {beta:.2f}"


def _interval(lo: float | None, hi: float | None) -> str:
    """[lo, hi] with an open end written as an open interval to infinity."""
    left = "(−∞" if lo is None else f"[{lo:.2f}"
    right = "∞)" if hi is None else f"{hi:.2f}]"
    return f"{left}, {right}"


def _capped(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def _num(value: float) -> str:
    if abs(value) >= BETA_CAP:
        return "−∞" if value < 0 else "∞"
    return f"{value:.2f}"
