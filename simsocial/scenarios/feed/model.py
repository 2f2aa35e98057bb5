"""A Twitter-like feed of survey personas (Törnberg, Valeeva, Uitermark & Bail 2023), in Mesa.

Before step 0 the personas are drawn (`twitter.personas`), become platform users with their
party as `community`, and follow each other (`twitter.follows`); those rows are the starting
state (step -1). Step 0 first logs how the personas, the network and the news came about and,
with `personas.enrich`, asks for every persona's occupation, hobbies and bio. Every step then:

1. each user is active with its own probability (`population`: from its Twitter-use answer);
2. the `feed:` ranker ranks every post for all active users at once (user party and
   partisanship passed in the view) and the k posts each was shown go to the `feeds` table;
3. each active user reads its feed and a few news items drawn at random and makes ONE
   structured ask (`prompt.FeedAction`); all users' asks are one gather. An answer that is not
   a valid action (`actions`) is asked again once with the reason, then recorded as
   `action_failed`; nothing invalid reaches the tables;
4. the step's new posts, comments and reposts with text are scored for toxicity by the judge in
   batches (a second gather), and for offensive language offline when that package is there.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from simsocial.llm import Session
from simsocial.model import EventSink, SimModel
from simsocial.personas.enrich import enrich
from simsocial.platform import SCHEMAS, InvalidAction, Platform
from simsocial.rounds import Rounds
from simsocial.scenarios.feed import actions, prompt
from simsocial.scenarios.feed.metrics import ei_columns
from simsocial.scenarios.feed.network import homophilous, read_follows, same_party_share
from simsocial.scenarios.feed.news import NewsItem, describe, read_news
from simsocial.scenarios.feed.population import COMMUNITY, PARTY_NAMES, build_users, enriched_text
from simsocial.scenarios.feed.shown import FEEDS, ShownLog
from simsocial.scenarios.feed.spec import FeedScenarioSpec
from simsocial.scenarios.feed.toxicity import (
    OFFLINE,
    offensive_probs,
    offensive_unavailable,
    read_scores,
    toxicity_asks,
)


class FeedModel(SimModel):
    """Survey personas posting, liking, commenting, reposting and following on one `Platform`."""

    spec: FeedScenarioSpec
    TABLES: ClassVar[dict[str, pa.Schema]] = {**SCHEMAS, "feeds": FEEDS}
    STATE = ("platform", "people", "party", "lean", "p_active", "news", "shown", "opened")
    STATE += ("counts", "active_now")

    def __init__(
        self, spec: FeedScenarioSpec, session: Session, log_event: EventSink | None = None
    ):
        super().__init__(spec, session, log_event)
        self.params = spec.twitter
        self.sample = self.params.personas.draw(spec.seed)  # step 0 enriches these
        activity = self.params.activity
        users = build_users(
            self.sample.personas,
            steps_per_day=activity.steps_per_day,
            missing_rate=activity.missing,
        )
        self.people = users.people
        self.party, self.lean, self.p_active = users.party, users.lean, users.p_active
        self.counts: Counter[str] = Counter(users.counts)
        self.platform = Platform()
        for person, side in zip(self.people, self.party, strict=True):
            self.platform.add_user(person["name"], person["text"], COMMUNITY[int(side)], -1)
        self.start_follows()
        self.news = [item.as_dict() for item in self.read_news()]
        self.shown = ShownLog(len(self.people))
        self.opened = False
        self.active_now = 0
        self._columns: tuple[tuple[int, ...], dict[str, float | None]] | None = None

    def read_news(self) -> list[NewsItem]:
        return read_news(self.params.news) if self.params.news is not None else []

    def start_follows(self) -> None:
        """The starting network at step -1 (network.py says how it is drawn)."""
        spec = self.params.follows
        if spec.file is not None:
            follows = read_follows(spec.file, len(self.people))
        else:
            follows = homophilous(self.party, spec.min, spec.max, spec.same_party, self.rng)
        for source, target in follows.edges:
            self.platform.follow(source, target, -1)
        same, partisan = same_party_share(follows.edges, self.party)
        self.counts.update({f"network_{k}": v for k, v in follows.counts.items()})
        self.counts.update(network_same_party=same, network_partisan=partisan)

    def drain_tables(self) -> dict[str, Any]:
        tables = self.platform.drain()
        feeds = self.shown.drain()
        if feeds is not None:
            tables["feeds"] = feeds
        return tables

    # --- stepping -----------------------------------------------------------------------------

    def step(self) -> None:
        if not self.opened:
            self.open()
        n = len(self.people)
        active = np.flatnonzero(self.rng.random(n) < self.p_active)
        self.active_now = len(active)
        if not len(active):
            return
        view = self.platform.view(
            self.step_index,
            candidates=np.arange(self.platform.n_posts(), dtype=np.int64),
            users={"party": self.party, "partisanship": self.lean},
        )
        feeds = self.spec.feed.rank(view, active, self.rng)
        author = self.platform.posts.array("author")
        self.shown.record(self.step_index, active, feeds, author, self.party)
        shown_news = [self.pick_news() for _ in active]
        first = self.platform.n_posts()
        self.consult_rounds(
            [
                self.act(int(user), [int(p) for p in row if p >= 0], news)
                for user, row, news in zip(active, feeds, shown_news, strict=True)
            ]
        )
        texts = self.platform.posts.data["text"]
        written = [(i, texts[i]) for i in range(first, self.platform.n_posts()) if texts[i]]
        self.consult_rounds([self.judge(written)])

    def open(self) -> None:
        """Say once how the users, the network and the news came about; enrich the personas."""
        self.opened = True
        sides = Counter(PARTY_NAMES[int(s)] for s in self.party)
        counts = {k: int(self.counts[k]) for k in ("activity_missing", "party_missing")}
        self.log(
            "personas",
            {
                **self.sample.how,
                "users": len(self.people),
                "respondents": [person["respondent"] for person in self.people],
                "parties": dict(sorted(sides.items())),
                **counts,
                "activity_rule": "min(1, Twitter uses per day / steps_per_day); missing: "
                f"{self.params.activity.missing} per day",
            },
        )
        network = {k[8:]: int(v) for k, v in self.counts.items() if k.startswith("network_")}
        self.log("network", {"file": self.params.follows.file, **network})
        items = [NewsItem(**item) for item in self.news]
        self.log("news", describe(items, self.params.news))
        if self.params.personas.enrich:
            ((personas, report),) = self.consult_rounds(
                [enrich(self.session, self.sample.personas)]
            )
            for i, respondent in enumerate(personas):
                self.people[i] = enriched_text(self.people[i], respondent)
            self.counts["enrich_failed"] += report.failed
            self.log("enriched", report.as_dict())

    def pick_news(self) -> list[int]:
        k = min(self.params.news_shown, len(self.news))
        if k == 0:
            return []
        return sorted(int(i) for i in self.rng.choice(len(self.news), size=k, replace=False))

    # --- one user's action --------------------------------------------------------------------

    def act(self, user: int, feed: list[int], news: list[int]) -> Rounds[None]:
        """One structured ask; a refused action is asked again once, then `action_failed`."""
        shown = actions.Shown(frozenset(feed), frozenset(news))
        text = self.render(user, feed, news)
        meta = {"step": self.step_index, "agent_id": user, "purpose": "feed.act"}
        reason: str | None = None
        for _ in range(2):
            note = prompt.REPAIR.render(reason=reason) if reason else ""
            (answer,) = yield [
                self.session.ask_structured(
                    text + note,
                    prompt.FeedAction,
                    temperature=self.params.temperature,
                    meta=meta,
                )
            ]
            tried = answer.value.action if answer.value is not None else None
            try:
                if answer.value is None:
                    error = answer.record.error or "the call failed"
                    raise InvalidAction(f"no valid action came back ({error})")
                applied = actions.apply(
                    self.platform, user, answer.value, shown, self.step_index, self.params.max_chars
                )
            except InvalidAction as exc:
                reason = str(exc)
                continue
            self.counts[applied.payload["action"]] += 1
            self.counts["truncated"] += applied.cut
            self.log("action", applied.payload, user)
            return
        reply = getattr(answer.record, "reply", None)
        self.counts["failed"] += 1
        self.log("action", {"action": tried, "valid": False}, user)
        self.log("action_failed", {"action": tried, "reason": reason, "reply": reply}, user)

    def render(self, user: int, feed: list[int], news: list[int]) -> str:
        person = self.people[user]
        data = self.platform.posts.data
        voted, following = self.platform.voted, self.platform.following.get(user, set())
        lines = []
        for post_id in feed:
            author = data["author"][post_id]
            flags = [
                flag
                for flag, on in (
                    ("your post", author == user),
                    ("you liked this", (user, post_id) in voted),
                    ("you follow them", author in following),
                )
                if on
            ]
            row = {name: column[post_id] for name, column in data.items()}
            if row["kind"] == "share" and not row["text"]:
                row["text"] = data["text"][row["shared_id"]]
            row |= {
                "ups": self.platform.ups[post_id],
                "comments": self.platform.replies[post_id],
                "shares": self.platform.shares[post_id],
            }
            ref = row["news_ref"]
            title = self.news[int(ref)]["title"] if ref is not None else None
            party = PARTY_NAMES[int(self.party[author])]
            lines.append(prompt.feed_line(row, party, flags, title, self.params.max_chars))
        items = [prompt.news_line(self.news[i], self.params.max_chars) for i in news]
        return prompt.render(
            person["text"],
            person["bio"],
            user,
            PARTY_NAMES[int(self.party[user])],
            lines,
            items,
            self.params.max_chars,
        )

    # --- toxicity -----------------------------------------------------------------------------

    def judge(self, written: list[tuple[int, str]]) -> Rounds[None]:
        """`toxicity` per post (LLM judge, 0-3 or None; `offline`: no LLM, score None) and
        `offensive` per post when alt-profanity-check is installed."""
        spec = self.params.judge
        ids = [post_id for post_id, _ in written]
        if not ids:
            return
        if spec.model == OFFLINE:
            scores: dict[int, int | None] = dict.fromkeys(ids)
            name = OFFLINE
        else:
            meta = {"step": self.step_index, "agent_id": -1}
            asks = toxicity_asks(
                self.session, written, spec.model, self.rng, batch=spec.batch, meta=meta
            )
            answers = yield asks
            scores = read_scores(answers, ids)
            name = spec.model or self.session.config.model
        for post_id in ids:
            score = scores[post_id]
            self.log("toxicity", {"post_id": post_id, "score": score, "judge": name})
            if name != OFFLINE:
                self.counts["toxicity_unscored" if score is None else "toxicity_scored"] += 1
                self.counts["toxicity_sum"] += score or 0
        probs = offensive_probs([text for _, text in written])
        if probs is None:
            self.counts["offensive_unavailable"] += len(ids)
            return
        for post_id, p in zip(ids, probs, strict=True):
            self.log("offensive", {"post_id": post_id, "offensive_prob": p})

    # --- reading ------------------------------------------------------------------------------

    def kind_count(self, kind: str) -> int:
        return int((self.platform.posts.array("kind") == kind).sum())

    def columns(self) -> dict[str, float | None]:
        """The E-I columns, computed once per step and table sizes."""
        tables = self.platform.tables
        key = (self.step_index, len(tables.posts), len(tables.votes), len(tables.follows))
        if self._columns is None or self._columns[0] != key:
            self._columns = (key, ei_columns(self.platform, self.party))
        return self._columns[1]

    def toxicity_mean(self) -> float | None:
        scored = self.counts["toxicity_scored"]
        return self.counts["toxicity_sum"] / scored if scored else None

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {
            "posts": lambda m: m.kind_count("post"),
            "comments": lambda m: m.kind_count("reply"),
            "likes": lambda m: int((m.platform.tables.votes.array("value") > 0).sum()),
            "reposts": lambda m: m.kind_count("share"),
            "follows": lambda m: int((m.platform.tables.follows.array("step") >= 0).sum()),
            "active": lambda m: m.active_now,
            "toxicity_mean": lambda m: m.toxicity_mean(),
            **{
                column: (lambda m, c=column: m.columns()[c])
                for column in ("ei_likes", "ei_comments", "ei_reposts", "ei_follows")
            },
            "outparty_shown": lambda m: m.shown.outparty_mean(m.party),
        }, {}

    def prompt_templates(self) -> dict[str, str]:
        return {t.name: t.sha for t in (prompt.ACT, prompt.REPAIR)}

    def summary(self) -> dict[str, Any]:
        return {"users": len(self.people), "failed": int(self.counts["failed"])}

    def manifest_extras(self) -> dict[str, Any]:
        extras: dict[str, Any] = {
            "feed_counts": {k: int(v) for k, v in sorted(self.counts.items())}
        }
        why = offensive_unavailable()
        if why is not None:
            extras["offensive_unavailable"] = why
        return extras
