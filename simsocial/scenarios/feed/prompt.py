"""What an active user reads and answers: the persona, the ranked feed, a few news items, and a
structured action (`FeedAction`).

The instructions come first, the same for every user, so consecutive asks share a prompt prefix
(the embedded model and providers with prompt caching reuse it); then who the user is and what
it sees. Prompt layout (the scripted twin `scripted/feed` parses it; keep it stable):

    You are on a social media platform like Twitter. ... choose exactly ONE action:
    - "post": ...  (the six actions and their fields)
    Write at most <max_chars> characters of text.

    <persona text>
    Your bio: <bio>                                         (when enriched)

    You are user <id>. Your party: <Democrat|Republican|independent>.

    Your feed, ranked by the platform:
    <<<FEED
    [post <id>] [user <author>] <Democrat|Republican|independent> | <likes> likes, <comments>
    comments, <reposts> reposts[ | your post][ | you liked this][ | you follow them] | <what>
    FEED>>>

    News you can share:
    <<<NEWS
    [news <id>] <title> (<source>, <date>): <summary>
    NEWS>>>

where <what> is `news <id> "<title>": <text>` (a shared news item), `<text>` (an own post),
`comment on post <id>: <text>` or `repost of post <id>: <text>`; every text on one line. An
empty feed or no news says `(nothing yet)` / `(none)` between the markers. A re-ask appends
`REPAIR` with the reason the last answer was refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simsocial.llm.prompts import Template
from simsocial.scenarios.feed.toxicity import one_line

Action = Literal["post", "like", "comment", "repost", "follow", "nothing"]
ACTIONS: tuple[str, ...] = ("post", "like", "comment", "repost", "follow", "nothing")

ACT = Template(
    "feed.act",
    "You are on a social media platform like Twitter. You read your feed and today's news, "
    "then choose exactly ONE action, as you would on Twitter:\n"
    '- "post": share a news item (news_id) with your own comment (text), or post your own '
    "text without news_id;\n"
    '- "like": like a post in your feed (post_id);\n'
    '- "comment": comment on a post in your feed (post_id, text);\n'
    '- "repost": repost a post in your feed (post_id), with an optional comment (text);\n'
    '- "follow": follow the author of a post in your feed (target: their user number);\n'
    '- "nothing": do nothing now.\n'
    "Write at most {max_chars} characters of text.\n\n"
    "{persona}{bio}\n\n"
    "You are user {user}. Your party: {party}.\n\n"
    "Your feed, ranked by the platform:\n<<<FEED\n{feed}\nFEED>>>\n\n"
    "News you can share:\n<<<NEWS\n{news}\nNEWS>>>",
)
REPAIR = Template(
    "feed.repair",
    "\n\nYour previous answer was not accepted: {reason}. Choose again.",
)


class FeedAction(BaseModel):
    """One user's action this step; which fields matter depends on `action`."""

    model_config = ConfigDict(extra="forbid")

    action: Action = Field(description="post, like, comment, repost, follow or nothing")
    post_id: int | None = Field(None, description="like, comment, repost: the post in your feed")
    news_id: int | None = Field(None, description="post: the news item you share, if any")
    target: int | None = Field(None, description="follow: the user number to follow")
    text: str | None = Field(None, description="post, comment: your text; repost: optional")


def feed_line(
    post: dict[str, Any],
    author_party: str,
    flags: list[str],
    title: str | None,
    max_chars: int,
) -> str:
    """One post as the feed shows it (see the module docstring)."""
    counts = f"{post['ups']} likes, {post['comments']} comments, {post['shares']} reposts"
    text = one_line(post["text"], max_chars) if post["text"] else ""
    if post["kind"] == "reply":
        what = f"comment on post {post['parent_id']}: {text}"
    elif post["kind"] == "share":
        what = f"repost of post {post['shared_id']}: {text}".rstrip()
    elif title is not None:
        what = f'news {post["news_ref"]} "{one_line(title, max_chars)}": {text}'
    else:
        what = text
    marks = "".join(f" | {flag}" for flag in flags)
    head = f"[post {post['post_id']}] [user {post['author']}] {author_party}"
    return f"{head} | {counts}{marks} | {what}"


def news_line(item: dict[str, Any], max_chars: int) -> str:
    summary = one_line(item["summary"], max_chars) if item["summary"] else ""
    head = f"[news {item['news_id']}] {one_line(item['title'], max_chars)}"
    return f"{head} ({item['source']}, {item['date']})" + (f": {summary}" if summary else "")


def render(
    persona: str,
    bio: str | None,
    user: int,
    party: str,
    feed: list[str],
    news: list[str],
    max_chars: int,
) -> str:
    return ACT.render(
        persona=persona,
        bio=f"\nYour bio: {bio}" if bio else "",
        user=user,
        party=party,
        feed="\n".join(feed) if feed else "(nothing yet)",
        news="\n".join(news) if news else "(none)",
        max_chars=max_chars,
    )
