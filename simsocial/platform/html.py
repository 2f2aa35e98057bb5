"""Threads and the front page as HTML, readable like a forum page, for the run report.

Pure functions of the platform's tables as DataFrames (posts, users, votes, shaped as
`simsocial.platform.tables.SCHEMAS`): replies are nested under their parent, each post shows its
author, step, score and up/down votes, a badge for its kind (reply, share), and the marks the
report adds (a WhatIf-injected post, the judge's verdict). Every piece of model text, names
included, goes through `html.escape`: what a model wrote is never markup. `STYLE` is the CSS the
classes need, so a page made of these fragments is self-contained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from simsocial.platform.tables import SCHEMAS

TITLE_CHARS = 140
STYLE = """
.ss-forum { font-size: 0.95rem; }
.ss-forum, .ss-forum ul { list-style: none; margin: 0; padding: 0; }
.ss-forum ul.ss-replies { margin-left: 1.1rem; border-left: 2px solid #e3e6ea;
                          padding-left: 0.7rem; }
.ss-post { margin: 0.55rem 0; }
.ss-thread > .ss-post > .ss-text { font-size: 1.05rem; font-weight: 600; }
.ss-meta { color: #666; font-size: 0.82rem; }
.ss-author { color: #1f4e8c; font-weight: 600; }
.ss-score { font-weight: 700; color: #333; font-variant-numeric: tabular-nums; }
.ss-text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.15rem 0; }
.ss-shared { border-left: 3px solid #c8ced6; padding-left: 0.5rem; color: #555; }
.ss-badge { display: inline-block; font-size: 0.72rem; border-radius: 0.6rem;
            padding: 0 0.45rem; margin-left: 0.25rem; background: #eef1f4; color: #444; }
.ss-badge-whatif { background: #fff1d6; color: #8a5a00; }
.ss-badge-violation { background: #fde3e1; color: #b42318; }
.ss-badge-nojudge { background: #f2f2f2; color: #777; }
.ss-post.ss-whatif > .ss-text { background: #fffaf0; }
.ss-post.ss-violates > .ss-text { border-left: 3px solid #b42318; padding-left: 0.4rem; }
.ss-front li { display: flex; gap: 0.7rem; align-items: baseline; padding: 0.3rem 0;
               border-bottom: 1px solid #eef0f2; }
.ss-rank { color: #888; min-width: 1.6rem; text-align: right; }
.ss-front .ss-score { min-width: 2.2rem; text-align: right; }
"""


@dataclass(frozen=True)
class Marks:
    """What the report marks on posts: ids a WhatIf injected, and the judge's verdicts
    (post id -> violates: True, False, or None when the judge gave no verdict)."""

    whatif: frozenset[int] = frozenset()
    violates: Mapping[int, bool | None] = field(default_factory=dict)


def style_tag() -> str:
    """`<style>` with STYLE, to put once before the fragments."""
    return f"<style>{STYLE}</style>"


def frame(table: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """`table`, or an empty frame with the platform table's columns when it is missing."""
    if table is None or table.empty:
        return SCHEMAS[name].empty_table().to_pandas()
    return table


def vote_counts(votes: pd.DataFrame | None) -> pd.DataFrame:
    """Per voted post_id (the index): ups, downs and score = ups - downs."""
    votes = frame(votes, "votes")
    value = votes["value"].astype("int64")
    counts = pd.DataFrame(
        {"post_id": votes["post_id"].astype("int64"), "ups": value > 0, "downs": value < 0}
    )
    counts = counts.groupby("post_id")[["ups", "downs"]].sum().astype("int64")
    counts["score"] = counts["ups"] - counts["downs"]
    return counts


def title_of(text: str | None, limit: int = TITLE_CHARS) -> str:
    """The first non-empty line of a post, cut to `limit` characters (plain text)."""
    line = next((s.strip() for s in (text or "").splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _signed(score: int) -> str:
    return f"{score:+d}" if score else "0"


class _Page:
    """The tables indexed once, so rendering every thread of a run costs one pass."""

    def __init__(
        self,
        posts: pd.DataFrame | None,
        users: pd.DataFrame | None,
        votes: pd.DataFrame | None,
        marks: Marks | None,
    ) -> None:
        posts = frame(posts, "posts").sort_values(["thread_id", "order", "post_id"])
        users = frame(users, "users")
        self.posts = posts.set_index("post_id", drop=False)
        self.names = dict(zip(users["user_id"], users["name"], strict=True))
        self.personas = dict(zip(users["user_id"], users["persona"], strict=True))
        self.counts = vote_counts(votes)
        self.marks = marks or Marks()
        self.children: dict[int, list[int]] = {}
        for post_id, parent in zip(posts["post_id"], posts["parent_id"], strict=True):
            self.children.setdefault(int(parent), []).append(int(post_id))
        self.replies = (posts["parent_id"] != -1).groupby(posts["thread_id"]).sum()

    def count(self, post_id: int, what: str) -> int:
        return int(self.counts.at[post_id, what]) if post_id in self.counts.index else 0

    def author(self, user: int) -> str:
        name = self.names.get(user)
        persona = self.personas.get(user) or ""
        shown = escape(str(name)) if name is not None else f"user {user}"
        return f'<span class="ss-author" title="{escape(str(persona))}">{shown}</span>'

    def meta(self, post_id: int) -> str:
        row = self.posts.loc[post_id]
        ups, downs = self.count(post_id, "ups"), self.count(post_id, "downs")
        badges = []
        if row["kind"] != "post":
            badges.append(f'<span class="ss-badge">{escape(str(row["kind"]))}</span>')
        if post_id in self.marks.whatif:
            badges.append('<span class="ss-badge ss-badge-whatif">WhatIf</span>')
        verdict = self.marks.violates.get(post_id, False)
        if verdict is None and post_id in self.marks.violates:
            badges.append('<span class="ss-badge ss-badge-nojudge">judge: no verdict</span>')
        elif verdict:
            badges.append('<span class="ss-badge ss-badge-violation">violates the rules</span>')
        return (
            f'<div class="ss-meta"><span class="ss-score" title="score = ups - downs">'
            f"{_signed(ups - downs)}</span> {self.author(int(row['author']))}"
            f" · step {int(row['step'])}"
            f' · #{post_id} · <span title="up / down votes">▲{ups} ▼{downs}</span>'
            f"{''.join(badges)}</div>"
        )

    def body(self, post_id: int) -> str:
        row = self.posts.loc[post_id]
        text = f'<div class="ss-text">{escape(str(row["text"] or ""))}</div>'
        shared = int(row["shared_id"]) if pd.notna(row["shared_id"]) else -1
        if shared >= 0 and shared in self.posts.index:
            quoted = escape(title_of(self.posts.at[shared, "text"]))
            link = f'<a href="#post-{shared}">#{shared}</a>'
            text += f'<div class="ss-shared">shared {link}: {quoted}</div>'
        return text

    def item(self, post_id: int) -> str:
        """The opening of a post's <li>, its replies' <ul> left open."""
        classes = ["ss-post", f"ss-kind-{escape(str(self.posts.at[post_id, 'kind']))}"]
        if post_id in self.marks.whatif:
            classes.append("ss-whatif")
        if self.marks.violates.get(post_id):
            classes.append("ss-violates")
        opening = f'<li class="{" ".join(classes)}" id="post-{post_id}">'
        return opening + self.meta(post_id) + self.body(post_id)

    def thread(self, thread_id: int) -> str:
        """The thread as nested lists, walked with a stack (no recursion limit on depth)."""
        out = [f'<ul class="ss-forum ss-thread" id="thread-{thread_id}">']
        stack: list[int | None] = [thread_id]
        while stack:
            post_id = stack.pop()
            if post_id is None:
                out.append("</ul></li>")
                continue
            out.append(self.item(post_id))
            children = self.children.get(post_id, [])
            if children:
                out.append('<ul class="ss-replies">')
                stack.append(None)
                stack.extend(reversed(children))
            else:
                out.append("</li>")
        out.append("</ul>")
        return "".join(out)

    def front_item(self, rank: int, post_id: int) -> str:
        row = self.posts.loc[post_id]
        thread = int(row["thread_id"])
        title = escape(title_of(row["text"])) or "(no text)"
        replies = int(self.replies.get(thread, 0))
        return (
            f'<li><span class="ss-rank">{rank}.</span>'
            f'<span class="ss-score">{_signed(self.count(post_id, "score"))}</span>'
            f'<span><a href="#post-{post_id}">{title}</a><br><span class="ss-meta">'
            f"{self.author(int(row['author']))} · step {int(row['step'])} · {replies} "
            f"{'reply' if replies == 1 else 'replies'} · ▲{self.count(post_id, 'ups')} "
            f"▼{self.count(post_id, 'downs')}</span></span></li>"
        )


def thread_html(
    posts: pd.DataFrame,
    users: pd.DataFrame | None,
    votes: pd.DataFrame | None,
    thread_id: int,
    marks: Marks | None = None,
) -> str:
    """One thread: its top post, then every reply indented under the post it answers."""
    return threads_html(posts, users, votes, [thread_id], marks)[int(thread_id)]


def threads_html(
    posts: pd.DataFrame,
    users: pd.DataFrame | None,
    votes: pd.DataFrame | None,
    thread_ids: Iterable[int] | None = None,
    marks: Marks | None = None,
) -> dict[int, str]:
    """thread id -> its HTML, for the given threads (default: every thread, in id order)."""
    page = _Page(posts, users, votes, marks)
    if thread_ids is None:
        thread_ids = page.children.get(-1, [])
    found = {}
    for thread_id in thread_ids:
        if thread_id not in page.posts.index:
            raise KeyError(f"there is no post {thread_id} to start a thread")
        found[int(thread_id)] = page.thread(int(thread_id))
    return found


def front_page_html(
    posts: pd.DataFrame,
    users: pd.DataFrame | None,
    votes: pd.DataFrame | None,
    shown: Sequence[int] | None = None,
    marks: Marks | None = None,
) -> str:
    """The front page: `shown` in rank order (a `front_page` event's list), else every
    top-level post by score, each linking to its thread."""
    page = _Page(posts, users, votes, marks)
    if shown is None:
        top = page.posts[page.posts["parent_id"] == -1]["post_id"].astype("int64")
        scores = [page.count(int(p), "score") for p in top]
        shown = [p for _, p in sorted(zip((-s for s in scores), top, strict=True))]
    items = [
        page.front_item(rank, int(p)) for rank, p in enumerate(shown, 1) if p in page.posts.index
    ]
    if not items:
        return '<p class="ss-forum ss-meta">No posts.</p>'
    return f'<ol class="ss-forum ss-front">{"".join(items)}</ol>'


def document(title: str, fragments: Iterable[str]) -> str:
    """A standalone page (for a notebook or a file): escaped title, STYLE, the fragments."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{style_tag()}</head><body><h1>{escape(title)}</h1>{''.join(fragments)}</body></html>"
    )
