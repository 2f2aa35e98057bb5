"""Mesa DataCollector tables, one step at a time, as rows for the run directory.

A fresh collector per step keeps memory flat over long runs and lets a resumed run continue
without replaying the collector's history; its public DataFrame API does the work. The
scenario's custom metrics (simsocial.metrics) are columns of the model row beside the reporters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from simsocial.metrics import CustomMetrics
    from simsocial.model import SimModel


def collect_step(
    model: SimModel, custom: CustomMetrics | None = None, step: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | pa.Table]:
    """Model row(s) and agent rows for the step just taken (default `model.step_index`; -1 is
    the starting state), each tagged with `step`; a model with `agent_columns` gets its agent
    rows as one Arrow table (a million dicts would cost a gigabyte)."""
    import mesa

    step = model.step_index if step is None else step
    model_reporters, agent_reporters = model.reporters()
    collector = mesa.DataCollector(model_reporters=model_reporters, agent_reporters=agent_reporters)
    collector.collect(model)
    # model_vars is DataCollector's public store (name -> values); one collect = one value each
    values = {k: v[-1] for k, v in collector.model_vars.items()}
    if custom is not None:
        values.update(custom.values(model, step))
    model_rows = [{"step": step, **values}] if values else []
    columns = model.agent_columns()
    if columns is not None:
        return model_rows, _agent_table(step, columns)
    agent_rows: list[dict[str, Any]] = []
    if agent_reporters:
        frame = collector.get_agent_vars_dataframe()  # indexed by (Step, AgentID)
        text = [c for c, kind in frame.dtypes.items() if kind.kind == "O"]
        if len(text):  # a missing value in a text column is None, not pandas' float NaN
            frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
        names = list(frame.columns)
        agent_ids = frame.index.get_level_values("AgentID")
        agent_rows = [
            {
                "step": step,
                "agent_id": agent_id,
                **dict(zip(names, values, strict=True)),
            }
            for agent_id, values in zip(
                agent_ids, frame.itertuples(index=False, name=None), strict=True
            )
        ]
    return model_rows, agent_rows


def _agent_table(step: int, columns: dict[str, Any]) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    rows = len(columns["agent_id"])
    return pa.table({"step": pa.array(np.full(rows, step, dtype=np.int64)), **columns})
