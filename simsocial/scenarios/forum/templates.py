"""The forum's prompts, after Social Simulacra (Park et al., UIST 2022), in two forms.

- The persona line says what the persona does NOT share: each community rule negated, plus
  trolling, incivility and self-marketing.
- A post: "<Name> posted the following headline to an online forum for <goal>:".
- A reply: the thread so far, then "<Name> wrote the following comment that is NOT <rules>",
  at most `max_words` words.

`chat` phrases these as instructions for a chat model; `completion` is the paper's form, a
document with span tags whose continuation is read up to the closing `</span>`. Every text is a
registered `Template` (its hash goes into the manifest); `forum.templates` overrides any of them
by short name for the spec's form, and the override's hash is recorded instead. Ablations drop the
persona line (`no_personas`) or the community description (`no_community`).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from typing import Any

from simsocial.llm.prompts import Template

FORMS = ("chat", "completion")
ALWAYS_NOT = ("trolling", "incivility", "self-marketing")

# short name -> (fields it may use, fields it must use)
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "persona": (frozenset({"name", "description", "not_shared"}), frozenset({"name"})),
    "community": (frozenset({"community", "goal", "rules"}), frozenset()),
    "post": (frozenset({"context", "name", "forum"}), frozenset({"name"})),
    "reply": (
        frozenset({"context", "name", "forum", "thread", "not_rules", "max_words"}),
        frozenset({"name", "thread"}),
    ),
    "vote": (
        frozenset(
            {"community", "page", "persona", "name", "forum", "rank", "author", "text"}
            | {"score", "comments"}
        ),
        frozenset({"name", "text"}),
    ),
    "expand": (frozenset({"forum", "lines", "k", "members"}), frozenset({"lines", "k"})),
    "repair": (frozenset({"reason"}), frozenset({"reason"})),
}

SHARED = {
    "persona": Template(
        "forum.persona",
        "{name}: {description}. {name} does not share content that is {not_shared}.",
    ),
    "community": Template(
        "forum.community", 'The online forum "{community}" is for {goal}. Its rules: {rules}.'
    ),
    # the front page comes before the persona and the post asked about, so every vote of a
    # round shares one long prompt prefix (a local model evaluates it once)
    "vote": Template(
        "forum.vote",
        "{community}The front page of {forum}:\n{page}\n\n{persona}"
        '{name} reads post {rank}, by {author} ({score} points, {comments} comments):\n"{text}"\n'
        "How does {name} vote on this post: up, down, or none (no vote)?",
    ),
    "repair": Template(
        "forum.repair", "\n\n(Your previous answer was not accepted: {reason}. Answer again.)"
    ),
}
BY_FORM = {
    "chat": {
        "post": Template(
            "forum.post.chat",
            "{context}\nWrite the headline of a new post in {name}'s voice: one line, "
            "nothing else.\n{name} posted the following headline to {forum}:",
        ),
        "reply": Template(
            "forum.reply.chat",
            "{context}\nA thread on {forum}:\n{thread}\n\n"
            "{name} wrote the following comment that is NOT {not_rules}, at most {max_words} "
            "words. Write only that comment.",
        ),
        "expand": Template(
            "forum.expand.chat",
            'Members of {forum}, one per line as "Name, one-line description":\n{lines}\n\n'
            "Write {k} more {members} with new names, in the same format, one per line.",
        ),
    },
    "completion": {
        "post": Template(
            "forum.post.completion",
            '{context}{name} posted the following headline to {forum}: <span class="headline">',
        ),
        "reply": Template(
            "forum.reply.completion",
            "{context}{thread}\n{name} wrote the following comment that is NOT {not_rules}, at "
            'most {max_words} words: <span class="comment">',
        ),
        "expand": Template(
            "forum.expand.completion",
            'Members of {forum}, one per line as "Name, one-line description" ({k} more {members} '
            "with new names follow the ones listed):\n{lines}\n",
        ),
    },
}
NAMES = tuple(FIELDS)


def check_overrides(overrides: dict[str, str]) -> list[tuple[tuple[str, ...], str]]:
    """Located problems of `forum.templates`: unknown names, broken or unknown fields."""
    from simsocial.spec_errors import did_you_mean

    problems: list[tuple[tuple[str, ...], str]] = []
    for name, text in overrides.items():
        if name not in FIELDS:
            hint = did_you_mean(name, NAMES)
            problems.append(((name,), f"unknown template '{name}'{hint}; known: {list(NAMES)}"))
            continue
        allowed, required = FIELDS[name]
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            problems.append(((name,), f"is not a valid template: {exc}"))
            continue
        unknown, missing = sorted(used - allowed), sorted(required - used)
        if unknown:
            problems.append(((name,), f"unknown fields {unknown}; it may use {sorted(allowed)}"))
        if missing:
            problems.append(((name,), f"must use the fields {missing}"))
    return problems


def listing(items: Sequence[str], last: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def negated_rules(rules: Sequence[str], community: bool = True) -> list[str]:
    """What a member does not write: each rule broken (when the community is described), then
    the paper's three."""
    broken = [f'breaking the rule "{r.strip().rstrip(".")}"' for r in rules] if community else []
    return [*broken, *ALWAYS_NOT]


class Prompts:
    """The forum's texts for one spec: its form, its overrides, its ablation."""

    def __init__(
        self,
        form: str,
        overrides: dict[str, str],
        community: Any,
        ablation: str,
        max_words: int,
    ):
        self.form = form
        self.overrides = dict(overrides)
        self.community = community
        self.personas = ablation != "no_personas"
        self.described = ablation != "no_community"
        self.max_words = max_words
        goal = community.goal.strip().rstrip(".")
        self.forum = f"an online forum for {goal}" if self.described else "an online forum"
        self.not_rules = listing(negated_rules(community.rules, self.described))

    def render(self, template: str, /, **values: Any) -> str:
        """The text of template `template` (a short name) with `values`."""
        if template in self.overrides:
            return self.overrides[template].format(**values)
        return (SHARED.get(template) or BY_FORM[self.form][template]).render(**values)

    def hashes(self) -> dict[str, str]:
        """{template name: sha} of the overrides, for the manifest."""
        return {
            f"forum.templates.{name}.{self.form}": hashlib.sha256(text.encode()).hexdigest()[:12]
            for name, text in sorted(self.overrides.items())
        }

    # --- pieces ---------------------------------------------------------------------------------

    def persona_line(self, name: str, description: str, injected: bool = False) -> str:
        """The persona line; an injected (WhatIf) persona is described by its own words only,
        without the community's "does not share" clause."""
        description = description.strip().rstrip(".")
        if injected:
            return f"{name}: {description}."
        not_shared = listing(negated_rules(self.community.rules, self.described))
        return self.render("persona", name=name, description=description, not_shared=not_shared)

    def context(self, name: str, description: str, injected: bool = False) -> str:
        """Community description and persona line, as the form shows them (ablations drop one)."""
        return self.community_block() + self.persona_block(name, description, injected)

    def community_block(self) -> str:
        """The community description as the form shows it, with its line end ("" without)."""
        if not self.described:
            return ""
        rules = listing([r.strip().rstrip(".") for r in self.community.rules], "and")
        text = self.render(
            "community",
            community=self.community.name,
            goal=self.community.goal.strip().rstrip("."),
            rules=rules or "none",
        )
        return self._block("community", text)

    def persona_block(self, name: str, description: str, injected: bool = False) -> str:
        """The persona line as the form shows it, with its line end ("" without)."""
        if not self.personas:
            return ""
        return self._block("persona", self.persona_line(name, description, injected))

    def _block(self, kind: str, text: str) -> str:
        return f"{text}\n" if self.form == "chat" else f'<span class="{kind}">{text}</span>\n'

    def page(self, posts: list[tuple[str, str, int, int]]) -> str:
        """A front page: one line per post, (author, text, score, comments), in rank order."""
        lines = []
        for rank, (author, text, score, comments) in enumerate(posts, 1):
            title = " ".join(text.split("\n", 1)[0].split())
            title = title if len(title) <= 120 else title[:119] + "…"
            lines.append(f"{rank}. {title} (by {author}, {score} points, {comments} comments)")
        return "\n".join(lines)

    def thread(self, posts: list[tuple[str, str]], budget: int) -> str:
        """The thread so far within `budget` characters: the top post always, then the latest
        replies that fit, with a line saying how many earlier ones were left out."""
        lines = [self._post_line(i, author, text) for i, (author, text) in enumerate(posts)]
        head, replies = lines[0], lines[1:]
        kept: list[str] = []
        used = len(head)
        for line in reversed(replies):
            if used + len(line) + 1 > budget:
                break
            kept.append(line)
            used += len(line) + 1
        kept.reverse()
        skipped = len(replies) - len(kept)
        gap = [f"({skipped} earlier comments not shown)"] if skipped else []
        return "\n".join([head, *gap, *kept])

    def _post_line(self, index: int, author: str, text: str) -> str:
        if self.form == "chat":
            return f"{author} (original post): {text}" if index == 0 else f"{author}: {text}"
        if index == 0:
            return (
                f"{author} posted the following headline to {self.forum}: "
                f'<span class="headline">{text}</span>'
            )
        return f'{author} wrote the following comment: <span class="comment">{text}</span>'

    def clean(self, text: str | None, name: str) -> tuple[str, bool]:
        """What the model wrote, as post text: the completion form is cut at its closing tag;
        quotes and an echoed "<Name>:" are dropped; cut at `max_words` words. (text, cut?)"""
        if text is None:
            return "", False
        if self.form == "completion":
            text = text.split("</span>", 1)[0]
        text = text.strip()
        if text.casefold().startswith(f"{name.casefold()}:"):
            text = text[len(name) + 1 :].strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1].strip()
        words = text.split()
        if len(words) > self.max_words:
            return " ".join(words[: self.max_words]), True
        return text, False
