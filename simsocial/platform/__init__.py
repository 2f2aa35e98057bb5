"""The social-media platform layer the forum and feed scenarios stand on.

- `tables`: the Arrow schemas of users, posts, votes and follows and their append-only store;
- `platform`: `Platform`, changed only through validated actions (`InvalidAction` says why not);
- `rankers`: the `@ranker` registry (new, top, hot, random) and the `feed:` block selecting one;
- `render`: a thread or a feed as prompt text within a character budget, and as HTML.
"""

from simsocial.platform.platform import InvalidAction, Platform, PlatformView
from simsocial.platform.tables import SCHEMAS

__all__ = ["SCHEMAS", "InvalidAction", "Platform", "PlatformView"]
