"""What Törnberg, Valeeva, Uitermark & Bail (2023, arXiv 2310.05984) reported, as reference.

Three feeds, 500 ANES-based agents, one simulated day: users see the most liked and commented
posts of the accounts they follow ("followed", our `followed_engagement`), of all users ("all
users", `all_engagement`), or the posts most liked by the other party ("bridging", `bridging`).
The E-I index is the same quantity this project computes (with its own independents rule). The
paper's toxicity is its own measure on its own scale, not this project's 0-3 codebook: compare
the ordering of rankers, never the numbers.
"""

from __future__ import annotations

PAPER = "Törnberg et al. 2023"
LABELS = {
    "followed_engagement": "followed",
    "all_engagement": "all users",
    "bridging": "bridging",
}
REPORTED: dict[str, dict[str, float]] = {
    "followed_engagement": {"ei_likes": -0.97, "ei_comments": -0.89, "toxicity_mean": 0.09},
    "all_engagement": {"ei_likes": -0.78, "ei_comments": -0.70, "toxicity_mean": 0.13},
    "bridging": {"ei_likes": -0.18, "ei_comments": 0.33, "toxicity_mean": 0.07},
}
SCALE_NOTE = {"toxicity_mean": "paper: its own toxicity scale, not 0-3; compare the ordering"}


def reported(ranker: str | None, outcome: str) -> float | None:
    """The paper's value of `outcome` for a ranker it ran, else None."""
    return REPORTED.get(ranker or "", {}).get(outcome)


def column(ranker: str) -> str:
    """The reference column's heading for one of the paper's rankers."""
    return f"paper {LABELS[ranker]}"
