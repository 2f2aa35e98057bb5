"""Metrics, verdict, figures, tables and rendered threads of the forum scenario (SimReddit).

Social Simulacra (Park et al., UIST 2022) grows threads in an online community from personas;
what a run shows is the threads themselves (rendered as sections of the report: the front page
and every thread) and their statistics: thread lengths, how often a new persona joins, that nobody
replies to themself twice in a row (must be 0), how many posts break the community's rules by a
judge (or by the offline lexicon proxy, named as such), votes and scores, and, when the realism
check ran, how often a pairwise judge took a generated thread for the real one (paper: 41% for
human judges, chance 50%). Everything is read from the run's tables (users, posts, votes and the
events), so any forum run directory, finished or not, can be analysed. Thread definitions live in
`simsocial.analysis.forum_threads`; the spread over branches in `forum_spread`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis import forum_threads as ft
from simsocial.analysis.forum_spread import OUTCOMES, has_branches, spread, spread_figure
from simsocial.analysis.loader import Run
from simsocial.platform.html import Marks, front_page_html, style_tag, threads_html, title_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_THREADS_SHOWN = 100  # threads rendered in the report; the rest stay in posts.parquet
PAPER_REALISM_ERROR = 0.41
_POSTS = "from posts.parquet"
_VOTES = "from votes.parquet"
_EV = "from events.parquet"
GLOSSARY = {
    "personas": "personas on the forum, seeds and expanded ones; count; from users.parquet",
    "expansion_attempts": f"lines the LLM proposed while expanding the seeds; count; {_EV} "
    "(expanded)",
    "expansion_accepted": f"proposed personas kept (new, well formed); count; {_EV} (expanded)",
    "expansion_rejected": f"proposed lines rejected as duplicate or malformed; count; {_EV} "
    "(expanded)",
    "threads": f"threads: top-level posts, each with every reply under it; count; {_POSTS}",
    "replies": f"replies in all threads; count; {_POSTS}",
    "mean_replies": f"replies per thread (the thread length), averaged over threads; replies; "
    f"{_POSTS}",
    "thread_length_median": f"median replies per thread; replies; {_POSTS}",
    "thread_length_sd": f"standard deviation of replies per thread (n - 1); replies; {_POSTS}",
    "thread_length_min": f"fewest replies in a thread; replies; {_POSTS}",
    "thread_length_max": f"most replies in a thread; replies; {_POSTS}",
    "new_speaker_share": "replies whose author wrote nothing earlier in the thread (top post "
    "included), over all replies; a first reply is always new, so it runs above "
    f"forum.new_speaker_p; 0-1; {_POSTS}",
    "same_speaker_twice": "replies whose author also wrote the post right before in the same "
    f"thread (the top post included); must be 0; count; {_POSTS}",
    "new_speaker_share_coin": "the model's own share of new speakers among replies where the "
    "coin had both a new and an earlier persona to choose from (forced and WhatIf replies left "
    "out; what forum.new_speaker_p sets); 0-1; from model.parquet (last row)",
    "whatif_replies": f"replies a WhatIf intervention put into a thread; count; {_EV} (whatif)",
    "judge": f"who decided rule violations: a model string, or 'offline' (lexicon proxy, not a "
    f"judge); {_EV} (judged)",
    "judged": f"posts given a verdict (violates or not) by the judge; count; {_EV} (judged)",
    "violations": f"judged posts found to break the community's rules; count; {_EV} (judged)",
    "violation_rate": "violations over judged posts, posts without a verdict left out (with an "
    f"offline judge: the lexicon proxy's share); 0-1; {_EV} (judged)",
    "judge_failures": f"posts the judge gave no verdict on (counted apart); count; {_EV}",
    "votes": f"votes cast on the front page; count; {_VOTES}",
    "upvotes": f"votes of +1; count; {_VOTES}",
    "downvotes": f"votes of -1; count; {_VOTES}",
    "up_share": f"upvotes over all votes; 0-1; {_VOTES}",
    "votes_per_thread": f"votes over threads; votes; {_VOTES} and posts.parquet",
    "score_mean": f"mean score (ups - downs) of the top-level posts, unvoted ones 0; votes; "
    f"{_VOTES}",
    "score_median": f"median score of the top-level posts; votes; {_VOTES}",
    "score_min": f"lowest score of a top-level post; votes; {_VOTES}",
    "score_max": f"highest score of a top-level post; votes; {_VOTES}",
    "front_pages": f"front-page rounds (personas reading the ranked page and voting); count; {_EV}",
    "action_failures": f"LLM actions invalid twice (asked again once, then recorded); count; {_EV}"
    " (action_failed)",
    "action_failures_by": f"those failures by action; counts; {_EV} (action_failed)",
    "realism_error": "share of (real, generated) thread pairs where the judge took the generated "
    f"one for real (paper: 0.41 for humans, chance 0.5); 0-1; {_EV} (realism)",
    "realism_ci_low": f"lower end of the error's 95% percentile bootstrap CI (seeded with the "
    f"run's seed; none for one pair); 0-1; {_EV}",
    "realism_ci_high": f"upper end of the error's 95% percentile bootstrap CI; 0-1; {_EV}",
    "realism_n": f"pairs the realism judge decided; count; {_EV} (realism)",
    "realism_failures": f"pairs the realism judge gave no answer on (left out); count; {_EV}",
}


def summarize(run: Run) -> dict[str, Any]:
    """The contract's outcomes (thread lengths, speakers, violations, scores, realism), the
    accounting (expansion, failures) and a one-sentence verdict."""
    posts = ft.posts_of(run)
    votes = run.table("votes")
    top = ft.threads(posts, votes)
    expanded = run.payloads("expanded")
    last = expanded.iloc[-1] if not expanded.empty else pd.Series(dtype=object)
    failed = run.payloads("action_failed")
    by_action = Counter(str(a) for a in failed.get("action", []))
    metrics: dict[str, Any] = {
        "personas": len(run.table("users")),
        "expansion_attempts": _int(last.get("attempts")),
        "expansion_accepted": _int(last.get("accepted")),
        "expansion_rejected": len(last.get("rejected") or []) if not expanded.empty else None,
        "threads": len(top),
        "replies": int(top["replies"].sum()),
        **ft.length_stats(top["replies"].to_numpy()),
        **ft.speaker_stats(posts),
        "new_speaker_share_coin": _last(run.model, "new_speaker_share"),
        "whatif_replies": len(run.payloads("whatif")),
        **ft.violation_stats(run),
        **ft.vote_stats(posts, votes),
        "front_pages": len(run.payloads("front_page")),
        "action_failures": len(failed),
        "action_failures_by": ", ".join(f"{k}: {v}" for k, v in sorted(by_action.items())) or None,
        **ft.realism_stats(run),
    }
    metrics["verdict"] = verdict(metrics)
    return metrics


def verdict(m: dict[str, Any]) -> str:
    """One sentence: lengths, new speakers, the same-speaker rule, violations, realism."""
    if not m["threads"]:
        return "No threads were written."
    same = m["same_speaker_twice"]
    rule = "never" if same == 0 else f"{same} time(s), which the policy forbids"
    speakers = m["new_speaker_share"]
    said = [
        f"{m['threads']} thread(s) with {m['mean_replies']:.2f} replies on average (lengths "
        f"{m['thread_length_min']}-{m['thread_length_max']})",
        "no replies"
        if speakers is None
        else f"{speakers:.0%} of replies by a new speaker" + _coin(m["new_speaker_share_coin"]),
        f"the same speaker twice in a row {rule}",
        _violations(m),
    ]
    if m["votes"]:
        said.append(f"{m['votes']} votes, {m['up_share']:.0%} up, mean score {m['score_mean']:.2f}")
    if m["realism_error"] is not None:
        low, high = m["realism_ci_low"], m["realism_ci_high"]
        ci = "no CI" if low is None else f"95% CI {low:.0%}-{high:.0%}"
        said.append(
            f"the realism judge took the generated thread for the real one in "
            f"{m['realism_error']:.0%} of {m['realism_n']} pairs ({ci}; paper "
            f"{PAPER_REALISM_ERROR:.0%} for human judges, chance 50%)"
        )
    return "; ".join(said) + "."


def _coin(share: float | None) -> str:
    return "" if share is None else f" ({share:.0%} where the rules' coin had a choice)"


def _violations(m: dict[str, Any]) -> str:
    if m["violation_rate"] is None:
        return "no post was judged against the rules"
    failed = f", {m['judge_failures']} without a verdict" if m["judge_failures"] else ""
    if m["judge"] == "offline":
        who = "the offline lexicon proxy (not a judge) flags"
    else:
        who = f"the judge ({m['judge']}) found"
    return f"{who} {m['violation_rate']:.0%} of {m['judged']} posts breaking the rules{failed}"


def marks(run: Run) -> Marks:
    """The posts a WhatIf injected and the judge's verdicts, for the rendered threads."""
    whatif = run.payloads("whatif")
    verdicts = ft.judged(run)
    return Marks(
        whatif=frozenset(int(p) for p in whatif.get("post_id", []) if pd.notna(p)),
        violates={
            int(p): None if pd.isna(v) else bool(v)
            for p, v in zip(verdicts["post_id"], verdicts["violates"], strict=True)
        },
    )


def sections(run: Run) -> list[tuple[str, str]]:
    """The front page as the last round showed it, then every thread (up to
    MAX_THREADS_SHOWN), rendered as forum pages; titles are plain text, bodies escaped HTML."""
    posts, users, votes = ft.posts_of(run), run.table("users"), run.table("votes")
    if posts.empty:
        return []
    shown = run.payloads("front_page")
    found = marks(run)
    if shown.empty or "shown" not in shown:
        title, ranked = "Front page (top-level posts by score)", None
    else:
        last = shown.iloc[-1]
        ranked = [int(p) for p in last["shown"]]
        title = f"Front page after step {int(last['step'])} (ranker {last.get('ranker', '?')})"
    out = [(title, style_tag() + front_page_html(posts, users, votes, ranked, found))]
    tops = posts[posts["parent_id"] == -1]
    rendered = threads_html(posts, users, votes, tops["post_id"][:MAX_THREADS_SHOWN], found)
    heads = dict(zip(tops["post_id"], tops["text"], strict=True))
    out.extend(
        (f"Thread #{tid}: {title_of(heads[tid], 80)}", page) for tid, page in rendered.items()
    )
    if len(tops) > MAX_THREADS_SHOWN:
        rest = len(tops) - MAX_THREADS_SHOWN
        note = f'<p class="muted">{rest} more thread(s) are in posts.parquet.</p>'
        out.append((f"{rest} more threads", note))
    return out


def thread_table(run: Run) -> pd.DataFrame:
    """One row per thread: title, author, length, speakers, the same-speaker count, score,
    votes, judged violations and WhatIf replies."""
    posts = ft.posts_of(run)
    top = ft.threads(posts, run.table("votes"))
    names = dict(zip(*(run.table("users").get(c, []) for c in ("user_id", "name")), strict=True))
    found = marks(run)
    thread_of = dict(zip(posts["post_id"], posts["thread_id"], strict=True))
    bad = Counter(thread_of[p] for p, v in found.violates.items() if v and p in thread_of)
    injected = Counter(thread_of[p] for p in found.whatif if p in thread_of)
    return pd.DataFrame(
        {
            "thread": top["thread_id"],
            "title": [title_of(t, 60) for t in top["text"]],
            "author": [names.get(a, a) for a in top["author"]],
            "step": top["step"],
            "replies": top["replies"],
            "speakers": top["speakers"],
            "new_speakers": top["new_speakers"],
            "same_speaker_twice": top["same_speakers"],
            "score": top["score"],
            "ups": top["ups"],
            "downs": top["downs"],
            "violations": top["thread_id"].map(bad).fillna(0).astype("int64"),
            "whatif": top["thread_id"].map(injected).fillna(0).astype("int64"),
        }
    )


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    """Per thread statistics (the first MAX_THREADS_SHOWN), and the outcomes of every universe
    when the run has branches."""
    table = thread_table(run)
    out = []
    if not table.empty:
        cut = (
            f" (first {MAX_THREADS_SHOWN} of {len(table)})"
            if len(table) > MAX_THREADS_SHOWN
            else ""
        )
        out.append((f"Threads{cut}", table.head(MAX_THREADS_SHOWN)))
    if has_branches(run.run_dir):
        universes = spread(run.run_dir)
        out.append(("Outcomes across universes", universes[["label", "fork_at", *OUTCOMES]]))
    return out


def figures(run: Run) -> list[tuple[str, Figure]]:
    """Thread lengths, top-post scores, votes per step, front-page ranks over rounds, and the
    spread of outcomes across universes when the run has branches."""
    from simsocial.analysis.forum_plots import (
        front_page_figure,
        length_figure,
        score_figure,
        votes_figure,
    )

    top = ft.threads(ft.posts_of(run), run.table("votes"))
    if top.empty:
        return []
    cap = int((run.spec.get("forum") or {}).get("max_replies") or top["replies"].max())
    out = [("thread_lengths", length_figure(top["replies"], cap))]
    votes = run.table("votes")
    if not votes.empty:
        out.extend([("scores", score_figure(top["score"])), ("votes_by_step", votes_figure(votes))])
    ranks = front_page_figure(run.payloads("front_page"))
    if ranks is not None:
        out.append(("front_page_ranks", ranks))
    if has_branches(run.run_dir):
        universes = spread_figure(run.run_dir)
        if universes is not None:
            out.append(("universes", universes))
    return out


def _last(table: pd.DataFrame, column: str) -> float | None:
    """The column's last non-missing value (a model column is written every step)."""
    values = table[column].dropna() if column in table else ()
    return float(values.iloc[-1]) if len(values) else None


def _int(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else int(value)
