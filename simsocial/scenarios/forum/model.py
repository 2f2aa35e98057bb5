"""SimReddit as a Mesa model (Social Simulacra, Park et al., UIST 2022) on the platform layer.

Step 0 expands the seed personas to the population (list continuation, rounds of asks) and
writes the top posts. Each later step gives every open thread at most one reply: the thread's
coin flip and next speaker follow `process`, and all threads' replies are asked in one gather.
After every step a sample of personas reads the front page (ranked by `feed:`) and votes on each
post shown. Every post and reply is judged for breaking the rules. When all threads are closed
the optional realism check runs and the model is done. Invalid actions are re-asked once, then
recorded (`acts`). The platform's tables are the run's users, posts, votes and follows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from simsocial.errors import InterventionError
from simsocial.llm import Session
from simsocial.model import EventSink, SimModel
from simsocial.platform import SCHEMAS, Platform
from simsocial.rounds import Rounds
from simsocial.scenarios.forum import feedback
from simsocial.scenarios.forum.acts import attempt, no_reply
from simsocial.scenarios.forum.personas import Persona, expand, parse_injected, read_seeds
from simsocial.scenarios.forum.process import continues, draw_p, next_speaker
from simsocial.scenarios.forum.spec import ForumSpec
from simsocial.scenarios.forum.templates import Prompts

EXPAND_TOKENS_PER_LINE = 24


class ForumModel(SimModel):
    """A community forum: personas post, reply and vote on one `Platform`."""

    spec: ForumSpec
    TABLES = SCHEMAS
    STATE = ("platform", "people", "threads", "pending", "counts", "realism_done")

    def __init__(self, spec: ForumSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(spec, session, log_event)
        self.params = spec.forum
        self.prompts = self._prompts()
        self.platform = Platform()
        self.people: list[dict[str, Any]] = []  # by user id: name, description, injected
        # per thread: p, post (-1 until written), slots (replies the rules decided), open,
        # speakers (authors of the written posts, in order)
        self.threads: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []  # WhatIf injections not yet written
        self.counts: Counter[str] = Counter()
        self.realism_done = False

    def drain_tables(self) -> dict[str, Any]:
        return self.platform.drain()

    def _prompts(self) -> Prompts:
        p = self.params
        return Prompts(p.form, p.templates, p.community, p.ablation, p.max_words)

    # --- stepping -----------------------------------------------------------------------------

    def step(self) -> None:
        if not self.people:
            self.open_forum()
        else:
            self.grow_threads()
        feedback.vote_round(self)
        if all(not t["open"] for t in self.threads):
            feedback.realism_check(self)
            self.done = True

    def open_forum(self) -> None:
        """Expand the seeds to the population, then write the top posts."""
        p = self.params
        seeds = read_seeds(p.seeds)
        (found,) = self.consult_rounds(
            [expand(seeds, p.population, self.expand_ask, p.expand_batch, p.expand_rounds)]
        )
        for persona in found.people:
            self.add_person(persona, injected=False)
        payload = found.payload(len(seeds), p.population)
        self.counts.update(short=payload["short"], rejected_personas=len(payload["rejected"]))
        self.log("expanded", payload)
        n = len(self.people)
        starters = self.rng.choice(n, size=p.threads, replace=p.threads > n)
        for starter in starters:
            p_thread = draw_p(self.rng, *p.continue_p)
            self.threads.append(
                {"p": p_thread, "post": -1, "slots": 0, "open": True, "speakers": [int(starter)]}
            )
        self.consult_rounds([self.write(i, int(s)) for i, s in enumerate(starters)])

    def grow_threads(self) -> None:
        """One reply per open thread (a WhatIf persona's, or the rules'), asked together."""
        population = range(self.population())
        decisions = []
        for i, thread in enumerate(self.threads):
            if not thread["open"]:
                continue
            injection = self.injection_at(i)
            if injection is not None:
                decisions.append(self.inject(i, injection))
                continue
            if len(population) < 2:  # an expansion shortfall left one persona: nobody replies
                self.counts["no_speaker"] += 1
                self.close(i)
                continue
            if not continues(self.rng, thread["p"]):
                self.close(i)
                continue
            speaker = next_speaker(
                self.rng, thread["speakers"], population, self.params.new_speaker_p
            )
            self.counts[speaker.rule] += 1
            thread["slots"] += 1
            decisions.append(self.write(i, speaker.user))
        self.consult_rounds(decisions)
        for i, thread in enumerate(self.threads):
            full = thread["slots"] >= self.params.max_replies
            if thread["open"] and full and self.injection_at(i) is None:
                self.close(i)

    def close(self, index: int) -> None:
        """Close a thread; a WhatIf still waiting for it is recorded as never written."""
        self.threads[index]["open"] = False
        for injection in [j for j in self.pending if j["thread"] == index]:
            self.pending.remove(injection)
            written = self.written(index)
            self.log_whatif(injection, None, f"the thread closed after {written} replies")

    # --- writing ------------------------------------------------------------------------------

    def write(self, index: int, user: int) -> Rounds[int | None]:
        """The top post (when the thread has none yet) or the next reply by `user`, re-asked
        once, then judged; the post id, or None when it failed twice."""
        thread = self.threads[index]
        top = thread["post"] < 0
        person = self.people[user]
        name = person["name"]
        context = self.prompts.context(name, person["description"], person["injected"])
        values: dict[str, Any] = {"context": context, "name": name, "forum": self.prompts.forum}
        if not top:
            posts = [
                (self.people[self.platform.posts.data["author"][post]]["name"], text)
                for post, text in self.thread_posts(index)
            ]
            values["thread"] = self.prompts.thread(posts, self.params.thread_chars)
            values.update(not_rules=self.prompts.not_rules, max_words=self.params.max_words)
        prompt = self.prompts.render("post" if top else "reply", **values).lstrip()
        purpose = "forum.post" if top else "forum.reply"

        def make(note: str | None) -> Any:
            text = prompt + (self.prompts.render("repair", reason=note) if note else "")
            meta = {"step": self.step_index, "agent_id": user, "purpose": purpose}
            return self.session.ask_complete(
                text,
                temperature=self.params.temperature,
                max_tokens=self.params.max_tokens,
                meta=meta,
            )

        def apply(answer: Any) -> int:
            if not answer.ok:
                raise no_reply(answer)
            text, cut = self.prompts.clean(answer.text, name)
            if top:
                post_id = self.platform.post(user, text, self.step_index)
            else:
                post_id = self.platform.reply(user, thread["post"], text, self.step_index)
            self.counts["truncated"] += cut
            return post_id

        post_id = yield from attempt(self.log, "post" if top else "reply", user, make, apply)
        if post_id is None:
            self.counts["failed"] += 1
            if top:
                self.close(index)
            return None
        if top:
            thread["post"] = post_id
        else:
            thread["speakers"].append(user)
        yield from feedback.judge(self, post_id)
        return post_id

    def expand_ask(self, people: list[Persona], k: int) -> Any:
        """Ask for k more persona lines, shown everyone so far or a random `expand_shown`."""
        p = self.params
        shown = people
        if p.expand_shown is not None and p.expand_shown < len(people):
            picked = self.rng.choice(len(people), size=p.expand_shown, replace=False)
            shown = [people[int(i)] for i in sorted(picked)]
        prompt = self.prompts.render(
            "expand",
            forum=self.prompts.forum,
            lines="\n".join(person.line() for person in shown),
            k=k,
            members="member" if k == 1 else "members",
        )
        temperature = p.temperature if p.expand_temperature is None else p.expand_temperature
        return self.session.ask_complete(
            prompt,
            temperature=temperature,
            max_tokens=EXPAND_TOKENS_PER_LINE * k,
            meta={"step": self.step_index, "purpose": "forum.expand"},
        )

    def add_person(self, persona: Persona, injected: bool) -> int:
        community = self.params.community.name
        user = self.platform.add_user(persona.name, persona.description, community, self.step_index)
        self.people.append(
            {"name": persona.name, "description": persona.description, "injected": injected}
        )
        return user

    # --- WhatIf -------------------------------------------------------------------------------

    def inject_speaker(self, thread: int, reply: int, persona: str, mode: str) -> None:
        """Hook of the `whatif` intervention: `persona` writes reply `reply` of thread `thread`
        (replace: in the rules' place, counting toward max_replies; insert: an extra reply).
        It waits as model state until the thread reaches that reply; a thread that closes
        first (or already has) is logged as a `whatif` without a post and with the reason."""
        p = self.params
        if thread >= p.threads:
            raise InterventionError(
                f"thread {thread} does not exist: threads are 0..{p.threads - 1}"
            )
        if mode == "replace" and reply > p.max_replies:
            raise InterventionError(f"reply {reply} is beyond max_replies ({p.max_replies})")
        if thread < len(self.threads) and self.written(thread) >= reply:
            raise InterventionError(
                f"thread {thread} already has {self.written(thread)} replies: reply {reply} is past"
            )
        parse_injected(persona)
        injection = {"thread": thread, "reply": reply, "persona": persona, "mode": mode}
        if thread < len(self.threads) and not self.threads[thread]["open"]:
            written = self.written(thread)
            self.log_whatif(injection, None, f"the thread closed after {written} replies")
            return
        self.pending.append(injection)

    def injection_at(self, index: int) -> dict[str, Any] | None:
        """The WhatIf due as this thread's next reply, if any."""
        position = self.written(index) + 1
        return next(
            (j for j in self.pending if j["thread"] == index and j["reply"] == position), None
        )

    def inject(self, index: int, injection: dict[str, Any]) -> Rounds[None]:
        """Write the WhatIf persona's reply; the thread then goes on under its rules."""
        self.pending.remove(injection)
        user = self.add_person(parse_injected(injection["persona"]), injected=True)
        if injection["mode"] == "replace":
            self.threads[index]["slots"] += 1
        post_id = yield from self.write(index, user)
        self.log_whatif(injection, post_id, None if post_id is not None else "the reply failed")

    def log_whatif(self, injection: dict[str, Any], post_id: int | None, why: str | None) -> None:
        payload = {
            "thread": injection["thread"],
            "thread_id": self.threads[injection["thread"]]["post"],
            "at_reply": injection["reply"],
            "persona": injection["persona"],
            "mode": injection["mode"],
            "post_id": post_id,
        }
        if why is not None:
            payload["reason"] = why
            self.counts["whatif_missed"] += 1
        self.log("whatif", payload)

    # --- reading ------------------------------------------------------------------------------

    def population(self) -> int:
        """The community's personas (ids 0..n-1); WhatIf personas come after them."""
        return sum(not person["injected"] for person in self.people)

    def written(self, index: int) -> int:
        """Replies written in a thread so far."""
        post = self.threads[index]["post"]
        return 0 if post < 0 else self.platform.replies[post]

    def thread_posts(self, index: int) -> list[tuple[int, str]]:
        """(post id, text) of a thread, top post first."""
        post = self.threads[index]["post"]
        texts = self.platform.posts.data["text"]
        return [(i, texts[i]) for i in self.platform.thread(post)] if post >= 0 else []

    def kind_count(self, kind: str) -> int:
        return int((self.platform.posts.array("kind") == kind).sum())

    def same_speaker_twice(self) -> int:
        """Replies whose author also wrote the post right before them in the thread (must be 0)."""
        posts = self.platform.posts
        if len(posts) < 2:
            return 0
        order = np.lexsort((posts.array("order"), posts.array("thread_id")))
        threads, authors = posts.array("thread_id")[order], posts.array("author")[order]
        return int(((threads[1:] == threads[:-1]) & (authors[1:] == authors[:-1])).sum())

    def new_speaker_share(self) -> float | None:
        """Share of new personas among replies where the coin had both pools to choose from."""
        decided = self.counts["new"] + self.counts["earlier"]
        return self.counts["new"] / decided if decided else None

    def violation_rate(self) -> float | None:
        judged = self.counts["violates"] + self.counts["follows"]
        return self.counts["violates"] / judged if judged else None

    def mean_thread_length(self) -> float | None:
        posts = self.kind_count("post")
        return self.kind_count("reply") / posts if posts else None

    # --- hooks --------------------------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {
            "threads_open": lambda m: sum(bool(t["open"]) for t in m.threads),
            "posts": lambda m: m.kind_count("post"),
            "replies": lambda m: m.kind_count("reply"),
            "votes": lambda m: len(m.platform.tables.votes),
            "mean_thread_length": lambda m: m.mean_thread_length(),
            "new_speaker_share": lambda m: m.new_speaker_share(),
            "same_speaker_twice": lambda m: m.same_speaker_twice(),
            "violation_rate": lambda m: m.violation_rate(),
        }, {}

    def params_changed(self, path: str) -> None:
        """set_param may change the templates, the form, the ablation or the rules mid-run."""
        self.prompts = self._prompts()

    def prompt_templates(self) -> dict[str, str]:
        return self.prompts.hashes()

    def summary(self) -> dict[str, Any]:
        return {"personas": self.population(), "failed": int(self.counts["failed"])}

    def manifest_extras(self) -> dict[str, Any]:
        return {"forum_counts": {k: int(v) for k, v in sorted(self.counts.items())}}
