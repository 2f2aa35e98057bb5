"""Test helpers that ship with the package: a local OpenAI-compatible server with faults.

Used by simsocial's own tests and benchmarks, and by users who want to test a scenario's
network path without an API key.
"""

from __future__ import annotations

from simsocial.testing.openai_server import FAULT_KINDS, OpenAIServer

__all__ = ["FAULT_KINDS", "OpenAIServer"]
