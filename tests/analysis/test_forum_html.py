"""Threads and the front page as HTML: replies nested under their parent, counts and badges
right, every piece of model text escaped (tables from tests/analysis/forum_runs.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
from forum_runs import tables

from simsocial.platform.html import (
    Marks,
    document,
    front_page_html,
    thread_html,
    threads_html,
    title_of,
    vote_counts,
)

VOID = {"br", "meta", "img", "hr", "input", "link"}


class Tree(HTMLParser):
    """Each post's <li id="post-N"> and the post whose <li> encloses it; fails on a tag closed
    out of order, so the fragments are well formed."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.parent: dict[int, int | None] = {}
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag in VOID:
            return
        found = dict(attrs).get("id")
        if tag == "li" and found and found.startswith("post-"):
            enclosing = [int(i[5:]) for t, i in self.stack if t == "li" and i]
            self.parent[int(found[5:])] = enclosing[-1] if enclosing else None
        self.stack.append((tag, found if tag == "li" else None))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def parsed(fragment: str) -> Tree:
    tree = Tree()
    tree.feed(fragment)
    tree.close()
    assert tree.stack == []
    return tree


def marks() -> Marks:
    return Marks(whatif=frozenset({7}), violates={5: True, 7: True, 8: None, 1: False})


def test_replies_nest_under_their_parent():
    """Thread 0: 1 under 0, 2 under 1, 3 under 2, 4 under 0; thread 5 a chain."""
    frames = tables()
    tree = parsed(thread_html(frames["posts"], frames["users"], frames["votes"], 0))
    assert tree.parent == {0: None, 1: 0, 2: 1, 3: 2, 4: 0}
    chain = parsed(thread_html(frames["posts"], frames["users"], frames["votes"], 5))
    assert chain.parent == {5: None, 6: 5, 7: 6, 8: 7}


def test_model_text_is_escaped():
    """A <script> in a post, markup in a name and quotes in a persona stay text."""
    frames = tables()
    page = "".join(threads_html(frames["posts"], frames["users"], frames["votes"]).values())
    page += front_page_html(frames["posts"], frames["users"], frames["votes"])
    assert parsed(page).scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page and "<b>" not in page
    assert 'title="says &quot;hi&quot; &amp; &lt;leaves&gt;"' in page
    full = document("<i>title</i>", [page])
    assert "<title>&lt;i&gt;title&lt;/i&gt;</title>" in full and "<style>" in full


def test_scores_votes_steps_and_badges():
    """Score and up/down counts from votes; step; reply/share badges; WhatIf, violation and
    no-verdict marks where the marks say."""
    frames = tables()
    found = marks()
    rendered = threads_html(frames["posts"], frames["users"], frames["votes"], marks=found)
    top = rendered[0][: rendered[0].index("</div>", rendered[0].index("ss-meta"))]
    assert ">+2</span>" in top and "▲3 ▼1" in top and "step 0" in top
    assert ">-2</span>" in rendered[5] and "▲0 ▼2" in rendered[5]
    assert rendered[5].count('class="ss-badge">reply</span>') == 3
    whatif = rendered[5][rendered[5].index('id="post-7"') :]
    assert whatif.index("ss-badge-whatif") < whatif.index('id="post-8"')
    assert 'class="ss-post ss-kind-reply ss-whatif ss-violates" id="post-7"' in rendered[5]
    assert rendered[5].count('class="ss-badge ss-badge-violation"') == 2
    assert rendered[5].count("judge: no verdict") == 1 and "ss-badge-violation" not in rendered[0]
    assert 'class="ss-badge">share</span>' in rendered[10]
    assert 'shared <a href="#post-0">#0</a>: Best hiking boots?' in rendered[10]


def test_front_page_order():
    """Ranked as shown (a front_page event's list, -1 padding skipped), else by score."""
    frames = tables()
    args = (frames["posts"], frames["users"], frames["votes"])
    shown = front_page_html(*args, shown=[9, 0, 5, -1])
    links = [part.split('"')[0] for part in shown.split('href="#post-')[1:]]
    assert links == ["9", "0", "5"]
    by_score = front_page_html(*args)
    assert [p.split('"')[0] for p in by_score.split('href="#post-')[1:]] == ["0", "9", "10", "5"]
    assert "4 replies" in by_score and "0 replies" in by_score
    assert "No posts." in front_page_html(pd.DataFrame(), None, None)


def test_vote_counts_and_titles():
    counts = vote_counts(tables()["votes"])
    assert counts.loc[0].tolist() == [3, 1, 2] and counts.loc[5].tolist() == [0, 2, -2]
    assert vote_counts(None).empty
    assert title_of("\n  Headline here \nbody") == "Headline here"
    assert title_of("x" * 200, 10) == "x" * 9 + "…"
