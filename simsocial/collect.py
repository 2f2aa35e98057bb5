"""Mesa DataCollector tables, one step at a time, as rows for the run directory.

A fresh collector per step keeps memory flat over long runs and lets a resumed run continue
without replaying the collector's history; its public DataFrame API does the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simsocial.model import SimModel


def collect_step(model: SimModel) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Model row(s) and agent rows for the step just taken, each tagged with `step`."""
    import mesa

    model_reporters, agent_reporters = model.reporters()
    collector = mesa.DataCollector(model_reporters=model_reporters, agent_reporters=agent_reporters)
    collector.collect(model)
    # model_vars is DataCollector's public store (name -> values); one collect = one value each
    model_rows = (
        [{"step": model.step_index, **{k: v[-1] for k, v in collector.model_vars.items()}}]
        if model_reporters
        else []
    )
    agent_rows: list[dict[str, Any]] = []
    if agent_reporters:
        frame = collector.get_agent_vars_dataframe()  # indexed by (Step, AgentID)
        names = list(frame.columns)
        agent_ids = frame.index.get_level_values("AgentID")
        agent_rows = [
            {
                "step": model.step_index,
                "agent_id": agent_id,
                **dict(zip(names, values, strict=True)),
            }
            for agent_id, values in zip(
                agent_ids, frame.itertuples(index=False, name=None), strict=True
            )
        ]
    return model_rows, agent_rows
