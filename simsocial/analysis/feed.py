"""Metrics, verdict, figures, tables and a sample feed of the feed scenario (Törnberg et al. 2023).

Agents from ANES 2020 respondents read a ranked feed and post news, like, comment, repost and
follow; what a run shows is who interacts across the party divide (the E-I index per
interaction type), how uncivil the posts are (an LLM judge on a 0-3 codebook, and apart from it
the offline offensive-language score), how unequal attention is (Gini of followers and of
reposts) and how much of the other party each partisan was shown. The paper's values for its
three feeds sit beside them (`simsocial.analysis.feed_paper`). Row definitions live in
`feed_metrics`; the per-ranker sweep table in `feed_sweep`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis import feed_metrics as fm
from simsocial.analysis.feed_metrics import OUTCOMES
from simsocial.analysis.feed_paper import LABELS, REPORTED, SCALE_NOTE, column, reported
from simsocial.analysis.feed_sweep import sweep_tables
from simsocial.analysis.interactions import follower_gini, repost_gini
from simsocial.analysis.loader import Run
from simsocial.platform.html import front_page_html, style_tag, threads_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["GLOSSARY", "OUTCOMES", "figures", "sections", "summarize", "sweep_tables", "tables"]

THREADS_SHOWN = 10  # threads of the sample feed rendered in the report
_USERS, _POSTS, _VOTES = "from users.parquet", "from posts.parquet", "from votes.parquet"
_FOLLOWS, _FEEDS, _EV = "from follows.parquet", "from feeds.parquet", "from events.parquet"
_EI = (
    "E-I index (external - internal)/(external + internal) of {what}, actor -> the user acted "
    "on; an independent on either end or oneself is left out (counted in {key}_counts); -1 to 1; "
    "{src}"
)
_COUNTS = "the counts behind {key}: external, internal, and those left out (independent, self)"
GLOSSARY = {
    "users": f"agents on the platform; count; {_USERS}",
    "democrats": f"users whose community is democrat (party -1); count; {_USERS}",
    "republicans": f"users whose community is republican (party +1); count; {_USERS}",
    "independents": f"users whose community is independent (left out of E-I); count; {_USERS}",
    "persona_source": f"where the personas came from (ANES file or synthetic sampler); {_EV} "
    "(personas)",
    "personas_synthetic": "whether the personas were drawn from the calibrated synthetic "
    f"sampler rather than real ANES respondents; yes/no; {_EV} (personas)",
    "ranker": "the feed's ranker as the spec names it (feed.ranker); from spec.yaml",
    "posts": f"news items shared with a comment (kind post); count; {_POSTS}",
    "comments": f"comments on a post (kind reply); count; {_POSTS}",
    "likes": f"likes (votes of +1); count; {_VOTES}",
    "reposts": f"reposts (kind share); count; {_POSTS}",
    "follows": f"follow actions during the run (step 0 on); count; {_FOLLOWS}",
    "actions": f"actions chosen by agents (post, like, comment, repost, follow, nothing); count; "
    f"{_EV} (action)",
    "actions_by": f"those actions by type; counts; {_EV} (action)",
    "actions_invalid": f"chosen actions the platform rejected; count; {_EV} (action, valid false)",
    "action_failures": f"actions invalid twice (asked again once, then recorded); count; {_EV} "
    "(action_failed)",
    "action_failures_by": f"those failures by action; counts; {_EV} (action_failed)",
    "ei_likes": _EI.format(what="likes (liker -> the post's author)", key="ei_likes", src=_VOTES),
    "ei_comments": _EI.format(
        what="comments (commenter -> the author of the post)", key="ei_comments", src=_POSTS
    ),
    "ei_reposts": _EI.format(
        what="reposts (reposter -> the original author)", key="ei_reposts", src=_POSTS
    ),
    "ei_follows": _EI.format(
        what="the follow network as it ends, the starting network included (as the model's "
        "column; mostly the homophily it was built with)",
        key="ei_follows",
        src=_FOLLOWS,
    ),
    "ei_follows_made": _EI.format(
        what="the follows agents made during the run and kept (the starting network left out)",
        key="ei_follows_made",
        src=_FOLLOWS,
    ),
    **{
        f"{key}_counts": _COUNTS.format(key=key)
        for key in ("ei_likes", "ei_comments", "ei_reposts", "ei_follows", "ei_follows_made")
    },
    "toxicity_mean": "mean incivility of the posts an LLM judge scored on the 0-3 codebook (0 "
    "civil, 1 mildly, 2 very uncivil: direct attacks, 3 extremely: dehumanisation, threats); "
    f"posts without a score left out; 0-3; {_EV} (toxicity)",
    "toxicity_uncivil_share": f"share of scored posts at 1 or above; 0-1; {_EV} (toxicity)",
    "toxicity_judged": f"posts the LLM judge scored 0-3; count; {_EV} (toxicity)",
    "toxicity_failures": "posts the LLM judge gave no valid score (left out, never 0); count; "
    f"{_EV} (toxicity)",
    "toxicity_judge": f"the judge's model string(s) ('offline': no LLM judge); {_EV} (toxicity)",
    "offensive_prob_mean": "mean offline offensive-language probability (alt-profanity-check: "
    f"swearing and slurs, not toxicity); 0-1; {_EV} (offensive)",
    "offensive_scored": f"posts given an offensive_prob; count; {_EV} (offensive)",
    "gini_followers": "Gini of followers per user in the final network (initial follows "
    f"included; every user counts); 0-1; {_FOLLOWS}",
    "gini_reposts": f"Gini of reposts received per user (every user counts); 0-1; {_POSTS}",
    "outparty_shown": "out-party share of the posts each partisan was shown over the run, "
    f"averaged over partisan viewers (independents have none); 0-1; {_FEEDS}",
    "feed_impressions": f"posts shown, summed over viewers and steps; count; {_FEEDS}",
}


def summarize(run: Run) -> dict[str, Any]:
    """The contract's outcomes (E-I per type, toxicity, offensive_prob, Gini, out-party share),
    the population, what agents did and failed to do, and a one-line verdict."""
    tables = fm.tables_of(run)
    side = fm.parties(tables["users"])
    table = fm.interaction_table(tables)
    ei = fm.ei_rows(table, side, _seed(run))
    n_users = max(len(side), len(tables["users"]))
    shown = fm.shown_of(run, tables["posts"])
    metrics: dict[str, Any] = {
        **fm.persona_stats(run, tables["users"]),
        "ranker": _ranker(run),
        **fm.action_stats(run, tables),
    }
    for name, row in ei.iterrows():
        metrics[f"ei_{name}"] = None if pd.isna(row["ei"]) else float(row["ei"])
        metrics[f"ei_{name}_counts"] = fm.ei_counts(row)
    metrics.update(fm.toxicity_stats(fm.toxicity_scores(run)))
    metrics.update(fm.offensive_stats(run))
    metrics["gini_followers"] = follower_gini(table, n_users)
    metrics["gini_reposts"] = repost_gini(table, n_users)
    metrics["outparty_shown"] = fm.outparty_mean(shown, fm.authors(tables["posts"]), side)
    metrics["feed_impressions"] = len(shown)
    metrics["verdict"] = verdict(metrics)
    return metrics


def verdict(m: dict[str, Any]) -> str:
    """One sentence: who, the E-I values (beside the paper's for this ranker), toxicity,
    out-party exposure and inequality."""
    if not m["users"]:
        return "No users were on the platform."
    kind = "synthetic" if m["personas_synthetic"] else "survey"
    who = "" if m["personas_synthetic"] is None else f"{kind} personas, "
    said = [
        f"{m['users']} users ({who}{m['democrats']} D, {m['republicans']} R, "
        f"{m['independents']} I) on the {m['ranker'] or 'unnamed'} feed",
        f"{m['posts']} posts, {m['comments']} comments, {m['likes']} likes, {m['reposts']} "
        f"reposts, {m['follows']} follows",
        "E-I "
        + ", ".join(_ei(m, k) for k in ("likes", "comments", "reposts", "follows"))
        + f" ({_ei(m, 'follows_made').replace('follows_made', 'made in the run')})",
        _toxicity(m),
    ]
    if m["outparty_shown"] is not None:
        said.append(f"partisans saw {m['outparty_shown']:.0%} out-party posts")
    said.append(f"Gini of followers {m['gini_followers']:.2f}, of reposts {m['gini_reposts']:.2f}")
    if m["action_failures"]:
        said.append(f"{m['action_failures']} action(s) failed twice")
    return "; ".join(said) + "."


def _ei(m: dict[str, Any], kind: str) -> str:
    value = m[f"ei_{kind}"]
    shown = "n/a" if value is None else f"{value:+.2f}"
    paper = reported(m["ranker"], f"ei_{kind}")
    return f"{kind} {shown}" + ("" if paper is None else f" (paper {paper:+.2f})")


def _toxicity(m: dict[str, Any]) -> str:
    if m["toxicity_mean"] is None:
        said = "no post was scored by an LLM judge"
    else:
        failed = f", {m['toxicity_failures']} unscored" if m["toxicity_failures"] else ""
        said = (
            f"toxicity {m['toxicity_mean']:.2f} on 0-3 ({m['toxicity_judge']}, "
            f"{m['toxicity_judged']} posts{failed})"
        )
    if m["offensive_prob_mean"] is not None:
        said += f", offline offensive_prob {m['offensive_prob_mean']:.2f}"
    return said


def reference_table(run: Run) -> pd.DataFrame:
    """E-I per interaction type with its CI and counts, and toxicity, beside the paper's values
    for its three feeds."""
    tables = fm.tables_of(run)
    side = fm.parties(tables["users"])
    ei = fm.ei_rows(fm.interaction_table(tables), side, _seed(run))
    rows = [
        {
            "measure": f"E-I {str(name).replace('_', ' ')}",
            "this run": None if pd.isna(row["ei"]) else float(row["ei"]),
            "ci_low": _num(row["ci_low"]),
            "ci_high": _num(row["ci_high"]),
            "external": int(row["external"]),
            "internal": int(row["internal"]),
            "left out: independent": int(row["independent"]),
            "left out: self": int(row["self"]),
            **{column(r): reported(r, f"ei_{name}") for r in REPORTED},
            "note": None,
        }
        for name, row in ei.iterrows()
    ]
    toxicity = fm.toxicity_stats(fm.toxicity_scores(run))
    rows.append(
        {
            "measure": "toxicity (mean, 0-3)",
            "this run": toxicity["toxicity_mean"],
            **{column(r): reported(r, "toxicity_mean") for r in REPORTED},
            "note": SCALE_NOTE["toxicity_mean"],
        }
    )
    return pd.DataFrame(rows)


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    """The E-I and toxicity reference table, and posts per codebook level."""
    ranker = _ranker(run)
    mine = f" (this run's ranker is the paper's '{LABELS[ranker]}')" if ranker in LABELS else ""
    scores = fm.toxicity_scores(run)
    levels = fm.level_counts(scores)
    total = int(levels.sum())
    by_level = pd.DataFrame(
        {
            "level": levels.index,
            "posts": levels.to_numpy(),
            "share": levels.to_numpy() / total if total else [None] * len(levels),
        }
    )
    return [
        (f"E-I by interaction type and toxicity beside Törnberg et al. 2023{mine}",
         reference_table(run)),
        ("Posts per incivility level (LLM judge)", by_level),
    ]  # fmt: skip


def figures(run: Run) -> list[tuple[str, Figure]]:
    """E-I by interaction type, toxicity levels, offensive_prob (when scored) and the
    out-party share shown over steps."""
    from simsocial.analysis import feed_plots as fp

    tables = fm.tables_of(run)
    if tables["users"].empty:
        return []
    side = fm.parties(tables["users"])
    ei = fm.ei_rows(fm.interaction_table(tables), side, _seed(run))
    scores = fm.toxicity_scores(run)
    stats = fm.toxicity_stats(scores)
    out = [
        ("ei_by_interaction", fp.ei_figure(ei, _ranker(run))),
        ("toxicity_levels", fp.toxicity_figure(fm.level_counts(scores),
                                               stats["toxicity_failures"],
                                               stats["toxicity_judge"])),
    ]  # fmt: skip
    offensive = fm.offensive_values(run)
    if len(offensive):
        out.append(("offensive_prob", fp.offensive_figure(offensive)))
    shown = fm.shown_of(run, tables["posts"])
    if not shown.empty:
        by_step = fm.outparty_by_step(shown, fm.authors(tables["posts"]), side)
        out.append(("outparty_shown_by_step", fp.outparty_figure(by_step)))
    return out


def sections(run: Run) -> list[tuple[str, str]]:
    """A sample of the feed: what one viewer (the lowest id) was shown at the last step, in
    rank order, then the threads of those posts (up to THREADS_SHOWN)."""
    tables = fm.tables_of(run)
    shown = fm.shown_of(run, tables["posts"])
    if shown.empty:
        return []
    last = shown[shown["step"] == shown["step"].max()]
    viewer = int(last["viewer"].min())
    feed = run.table("feeds")
    mine = feed[(feed["step"] == last["step"].iloc[0]) & (feed["viewer"] == viewer)]
    ranked = [int(p) for p in mine.sort_values("rank")["post_id"] if p in set(shown["post_id"])]
    users, posts, votes = tables["users"], tables["posts"], tables["votes"]
    who = users.set_index("user_id").get("name", pd.Series(dtype=str)).get(viewer, viewer)
    party = users.set_index("user_id")["community"].get(viewer, "?")
    title = (
        f"Feed of {who} ({party}) at step {int(last['step'].iloc[0])} "
        f"(ranker {_ranker(run) or '?'})"
    )
    out = [(title, style_tag() + front_page_html(posts, users, votes, ranked))]
    thread_of = posts.set_index("post_id")["thread_id"]
    tops = set(posts["post_id"])
    threads = [t for t in dict.fromkeys(int(thread_of[p]) for p in ranked) if t in tops]
    threads = threads[:THREADS_SHOWN]
    rendered = threads_html(posts, users, votes, threads)
    out.extend((f"Thread #{tid} in that feed", page) for tid, page in rendered.items())
    return out


def _ranker(run: Run) -> str | None:
    feed = run.spec.get("feed") or {}
    return str(feed["ranker"]) if isinstance(feed, dict) and feed.get("ranker") else None


def _seed(run: Run) -> int:
    """The run's seed, so the E-I bootstrap CIs are reproducible."""
    return int(run.manifest.get("seed", run.spec.get("seed", 0)) or 0)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
