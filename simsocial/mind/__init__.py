"""The generative-agent mind (Park et al. 2023): memory stream, retrieval, reflection, planning,
relationship memory and a context budget, each switchable from a spec's `mind:` block."""

from __future__ import annotations

from simsocial.mind.budget import estimate_tokens, pack, truncate
from simsocial.mind.config import MindConfig
from simsocial.mind.core import Mind
from simsocial.mind.importance import ImportanceRater
from simsocial.mind.llm_port import AskPort, LLMPort, SessionPort
from simsocial.mind.memory import MemoryStream, Record
from simsocial.mind.planning import Planner, Step
from simsocial.mind.reflection import Reflector
from simsocial.mind.relationships import Relationships
from simsocial.mind.retrieval import Weights, retrieve, scores

__all__ = [
    "AskPort",
    "ImportanceRater",
    "LLMPort",
    "MemoryStream",
    "Mind",
    "MindConfig",
    "Planner",
    "Record",
    "Reflector",
    "Relationships",
    "SessionPort",
    "Step",
    "Weights",
    "estimate_tokens",
    "pack",
    "retrieve",
    "scores",
    "truncate",
]
