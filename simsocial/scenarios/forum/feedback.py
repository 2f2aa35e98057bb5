"""What the forum says about its posts: votes on the front page, the rules judge, realism.

- Votes: after each step a sample of personas reads the front page ranked by the spec's `feed:`
  (candidates: the top-level posts) and votes up, down or not at all on each post shown that
  they did not write and have not voted on; all asked in one batch, logged as `front_page`.
- Judge: every new post is judged against the community's rules, by an LLM (`judge.judge_ask`)
  or by the offline lexicon score, named as such; logged as `judged`.
- Realism: once every thread is closed, `realism.pairs` pairs of a real and a generated thread,
  shown in an order drawn from the model's RNG, in one round; each logged as `realism`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.platform import InvalidAction
from simsocial.rounds import Rounds
from simsocial.scenarios.forum.acts import attempt
from simsocial.scenarios.forum.judge import OFFLINE, OPTIONS, judge_ask, offline_score, verdict
from simsocial.scenarios.forum.realism import (
    guessed,
    is_correct,
    load_real_threads,
    pair_ask,
    thread_text,
)

if TYPE_CHECKING:
    from simsocial.scenarios.forum.model import ForumModel

VOTES = ("up", "down", "none")


# --- votes ------------------------------------------------------------------------------------


def vote_round(model: ForumModel) -> None:
    """A sample of personas reads the ranked front page and votes, all in one batch."""
    n = model.population()
    k = min(model.params.voters, n)
    view = model.platform.view(model.step_index)
    if k == 0 or len(view.candidates) == 0:
        return
    voters = [int(v) for v in model.rng.choice(n, size=k, replace=False)]
    feeds = model.spec.feed.rank(view, np.asarray(voters, dtype=np.int64), model.rng)
    shown = [int(p) for p in feeds[0] if p >= 0]
    payload: dict[str, Any] = {"ranker": model.spec.feed.ranker, "shown": shown, "voters": voters}
    if any(not np.array_equal(row, feeds[0]) for row in feeds[1:]):
        payload["feeds"] = [[int(p) for p in row if p >= 0] for row in feeds]
    model.log("front_page", payload)
    authors = model.platform.posts.data["author"]
    pages: dict[tuple[int, ...], str] = {}
    decisions = []
    for voter, row in zip(voters, feeds, strict=True):
        shown_here = [int(p) for p in row if p >= 0]
        page = pages.get(tuple(shown_here))
        if page is None:
            page = pages[tuple(shown_here)] = front_page(model, shown_here)
        for rank, post in enumerate(shown_here, 1):
            if authors[post] != voter and not model.platform.has_voted(voter, post):
                decisions.append(vote(model, voter, post, rank, page))
    model.consult_rounds(decisions)


def front_page(model: ForumModel, posts: list[int]) -> str:
    """The ranked posts as the voters read them: title, author, score, comments."""
    rows = [model.platform.row(post) for post in posts]
    return model.prompts.page(
        [
            (model.people[r["author"]]["name"], r["text"], r["score"], model.platform.replies[p])
            for p, r in zip(posts, rows, strict=True)
        ]
    )


def vote(model: ForumModel, voter: int, post: int, rank: int, page: str) -> Rounds[str | None]:
    """One persona's vote on one post of the page: up, down or none (re-asked once when
    unreadable). The page comes first in the prompt, the voter and the post last."""
    person = model.people[voter]
    row = model.platform.row(post)
    prompt = model.prompts.render(
        "vote",
        community=model.prompts.community_block(),
        page=page,
        persona=model.prompts.persona_block(
            person["name"], person["description"], person["injected"]
        ),
        name=person["name"],
        forum=model.prompts.forum,
        rank=rank,
        author=model.people[row["author"]]["name"],
        text=row["text"],
        score=row["score"],
        comments=model.platform.replies[post],
    ).lstrip()

    def make(note: str | None) -> Any:
        text = prompt + (model.prompts.render("repair", reason=note) if note else "")
        meta = {"step": model.step_index, "agent_id": voter, "purpose": "forum.vote"}
        return model.session.ask_choose(text, list(VOTES), rng=model.rng, meta=meta)

    def apply(answer: Any) -> str:
        if not answer.ok:
            raise InvalidAction(f"the answer named none of {', '.join(VOTES)}")
        if answer.choice != "none":
            model.platform.vote(voter, post, 1 if answer.choice == "up" else -1, model.step_index)
        return str(answer.choice)

    choice = yield from attempt(model.log, "vote", voter, make, apply)
    if choice is None:
        model.counts["failed"] += 1
    return choice


# --- the rules judge ----------------------------------------------------------------------------


def judge(model: ForumModel, post_id: int) -> Rounds[bool | None]:
    """Judge one post: `judged` {post_id, violates, score, judge}."""
    spec = model.params.judge
    community = model.params.community
    text = model.platform.posts.data["text"][post_id]
    if spec.model == OFFLINE:
        score = offline_score(text, community.rules)
        violates: bool | None = score >= spec.threshold
        shown: float | None = score
    else:
        (answer,) = yield [
            judge_ask(
                model.session,
                text,
                community.name,
                community.goal,
                community.rules,
                spec.model,
                model.rng,
                max_chars=spec.max_chars,
                meta={"step": model.step_index, "agent_id": -1, "post_id": post_id},
            )
        ]
        violates = verdict(answer)
        probabilities = getattr(answer, "probabilities", None) or {}
        found = probabilities.get(OPTIONS.index("violates"))
        shown = None if found is None else float(found)
    name = OFFLINE if spec.model == OFFLINE else (spec.model or model.session.config.model)
    key = "unjudged" if violates is None else ("violates" if violates else "follows")
    model.counts[key] += 1
    model.log("judged", {"post_id": post_id, "violates": violates, "score": shown, "judge": name})
    return violates


# --- the realism check --------------------------------------------------------------------------


def realism_check(model: ForumModel) -> None:
    """Pairs of a real and a generated thread, which one is real? Once, after the last thread
    closed; with no generated thread a `realism_skipped` event says so."""
    spec = model.params.realism
    if spec is None or model.realism_done:
        return
    model.realism_done = True
    generated = [generated_text(model, i) for i, t in enumerate(model.threads) if t["post"] >= 0]
    if not generated:
        model.log("realism_skipped", {"reason": "no thread was written"})
        return
    real = [thread_text(r.title, r.body, r.replies) for r in load_real_threads(spec.real)]
    real_order = model.rng.permutation(len(real))
    generated_order = model.rng.permutation(len(generated))
    model.consult_rounds(
        [
            pair(
                model,
                i,
                real[int(real_order[i % len(real)])],
                generated[int(generated_order[i % len(generated)])],
            )
            for i in range(spec.pairs)
        ]
    )


def generated_text(model: ForumModel, index: int) -> str:
    """A generated thread as the realism judge sees it: the top post's first line as the title,
    the rest as the body, then the replies with their authors."""
    posts = model.thread_posts(index)
    authors = model.platform.posts.data["author"]
    title, _, body = posts[0][1].partition("\n")
    replies = [(model.people[authors[post]]["name"], text) for post, text in posts[1:]]
    return thread_text(title, body, replies)


def pair(model: ForumModel, index: int, real: str, generated: str) -> Rounds[bool | None]:
    spec = model.params.realism
    assert spec is not None
    real_first = bool(model.rng.random() < 0.5)
    first, second = (real, generated) if real_first else (generated, real)
    meta = {"step": model.step_index, "agent_id": -1, "pair": index}
    (answer,) = yield [pair_ask(model.session, first, second, spec.model, model.rng, meta=meta)]
    guess = guessed(answer)
    correct = is_correct(guess, real_first)
    model.counts["realism_unanswered" if guess is None else "realism_pairs"] += 1
    model.log(
        "realism",
        {"pair": index, "real_first": real_first, "guessed_real": guess, "correct": correct},
    )
    return correct
