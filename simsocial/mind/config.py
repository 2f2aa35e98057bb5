"""The `mind:` block of a scenario spec: every part of the mind can be switched or tuned.

Ablations like the paper's (no memory, no reflection, no planning) are one `--set` away, e.g.
`--set mind.reflection=false` or `--set mind.budget_tokens=400`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from simsocial.mind.retrieval import Weights


class MindConfig(BaseModel):
    """Switches and knobs of the generative-agent mind (defaults follow Park et al. 2023)."""

    model_config = ConfigDict(extra="forbid")

    memory: bool = Field(True, description="keep a memory stream; off = the agent forgets")
    reflection: bool = Field(True, description="reflect when importance piles up")
    reflection_threshold: float = Field(150.0, gt=0, description="summed importance to reflect")
    reflection_recent: int = Field(100, ge=1, description="recent records the questions see")
    planning: bool = Field(True, description="make and follow day plans")
    k: int = Field(10, ge=1, description="memories retrieved per query")
    w_recency: float = Field(
        1.0, ge=0, description="retrieval score weight of recency (decayed age)"
    )
    w_importance: float = Field(
        1.0, ge=0, description="retrieval score weight of importance (rated 1-10)"
    )
    w_relevance: float = Field(
        1.0, ge=0, description="retrieval score weight of relevance (embedding similarity)"
    )
    decay: float = Field(0.995, gt=0, le=1, description="recency decay per simulated hour")
    importance_batch: int = Field(20, ge=1, description="memories rated per LLM call")
    budget_tokens: int = Field(600, ge=16, description="most tokens of memory put in a prompt")

    @property
    def weights(self) -> Weights:
        return Weights(self.w_recency, self.w_importance, self.w_relevance)
