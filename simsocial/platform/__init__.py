"""The social-media platform layer the forum and feed scenarios stand on.

- `tables`: the Arrow schemas of users, posts, votes and follows and their append-only store;
- `platform`: `Platform`, changed only through validated actions (`InvalidAction` says why not);
- `rankers`: the `@ranker` registry (new, top, hot, random) and the `feed:` block selecting one;
  `feed_rankers` and `community_notes` add the feed scenario's rankers;
- `html`: threads and the front page as escaped, nested HTML for reports.

A thread or a feed as prompt text is each kind's own wording (the forum's `Prompts.thread` keeps
the top post and the latest replies within a character budget; the feed's `prompt` module).
"""

from simsocial.platform.platform import InvalidAction, Platform, PlatformView
from simsocial.platform.tables import SCHEMAS

__all__ = ["SCHEMAS", "InvalidAction", "Platform", "PlatformView"]
