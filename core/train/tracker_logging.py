"""What ftui adds to transformers' tracker callbacks during a run: the custom evals (assertion pass rate,
samples table) and where each tracker actually logged (for run_started and the monitor).

Scalars go through `Trainer.log`, so every integration logs them as it logs eval_loss (as `eval/...`).
The samples table uses each integration's own open run (a wandb Table, a TensorBoard text, an MLflow
JSON artifact); trackers without a table keep the samples in events.jsonl only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftui.core.tracking import TrackingPlan

SAMPLE_COLUMNS = ("prompt", "expected", "generated", "passed")


def tracker_callbacks(trainer: Any) -> dict[str, Any]:
    """report_to name -> the integration callback the Trainer runs for it."""
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    by_class = {cls: name for name, cls in INTEGRATION_TO_CALLBACK.items()}
    return {by_class[type(cb)]: cb for cb in trainer.callback_handler.callbacks if type(cb) in by_class}


def log_eval_extras(trainer: Any, report: dict[str, Any], step: int) -> None:
    """The assertion pass rate (a scalar next to eval_loss) and the samples table, to every tracker."""
    callbacks = tracker_callbacks(trainer)
    if not callbacks:
        return
    if "assertion_pass_rate" in report:
        trainer.log(
            {
                "eval_assertion_pass_rate": float(report["assertion_pass_rate"]),
                "eval_assertion_total": int(report["assertion_total"]),
            }
        )
    rows = report.get("samples")
    if rows:
        for name, callback in callbacks.items():
            writer = _SAMPLE_WRITERS.get(name)
            if writer is not None:
                writer(callback, rows, step)


def _table(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[row.get(col) for col in SAMPLE_COLUMNS] for row in rows]


def _wandb_samples(callback: Any, rows: list[dict[str, Any]], step: int) -> None:
    wandb = getattr(callback, "_wandb", None)
    if wandb is None or wandb.run is None:
        return
    table = wandb.Table(columns=list(SAMPLE_COLUMNS), data=_table(rows))
    wandb.log({"eval/samples": table, "train/global_step": step})


def _tensorboard_samples(callback: Any, rows: list[dict[str, Any]], step: int) -> None:
    writer = getattr(callback, "tb_writer", None)
    if writer is None:
        return

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(SAMPLE_COLUMNS) + " |", "|" + " --- |" * len(SAMPLE_COLUMNS)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in _table(rows)]
    writer.add_text("eval/samples", "\n".join(lines), step)
    writer.flush()


def _mlflow_samples(callback: Any, rows: list[dict[str, Any]], step: int) -> None:
    mlflow = getattr(callback, "_ml_flow", None)
    if mlflow is None or mlflow.active_run() is None:
        return
    mlflow.log_text(json.dumps(rows, indent=1, ensure_ascii=False), f"eval_samples/step-{step:07d}.json")


_SAMPLE_WRITERS = {
    "wandb": _wandb_samples,
    "tensorboard": _tensorboard_samples,
    "mlflow": _mlflow_samples,
}


def prepare_trackers(plan: TrackingPlan) -> None:
    """Before the Trainer starts MLflow on ftui's default store: create the experiment with its artifacts
    under output_dir (MLflow would put them in ./mlruns of the working folder). Rank 0, environment set."""
    if plan.mlflow_artifacts is None or "mlflow" not in plan.targets:
        return
    import mlflow

    mlflow.set_tracking_uri(plan.env["MLFLOW_TRACKING_URI"])
    name = plan.env["MLFLOW_EXPERIMENT_NAME"]
    if mlflow.get_experiment_by_name(name) is None:
        mlflow.create_experiment(name, artifact_location=Path(plan.mlflow_artifacts).as_uri())


def tracker_places(trainer: Any, plan: TrackingPlan) -> list[dict[str, str]]:
    """Where each tracker is logging, read from the running integrations (after their setup), else the plan."""
    callbacks = tracker_callbacks(trainer)
    out = []
    for place in plan.places:
        name = place["tracker"]
        live = _live_place(name, callbacks.get(name))
        out.append({**place, **live})
    return out


def _live_place(name: str, callback: Any) -> dict[str, str]:
    try:
        if name == "tensorboard" and getattr(callback, "logging_dir", None):
            return {"where": str(callback.logging_dir)}
        if name == "wandb" and getattr(callback, "_wandb", None) is not None and callback._wandb.run:
            run = callback._wandb.run
            place = {"where": str(Path(run.dir).parent), "run_id": str(run.id)}
            if getattr(run, "url", None):
                place["url"] = str(run.url)
            return place
        if name == "mlflow" and getattr(callback, "_ml_flow", None) is not None:
            active = callback._ml_flow.active_run()
            if active is not None:
                return {"run_id": active.info.run_id}
    except Exception:  # noqa: BLE001 - a tracker's internals must never stop training
        pass
    return {}


def finish_trackers(trainer: Any) -> None:
    """Close the W&B run the integration opened (it leaves it open), so its offline files are complete."""
    callback = tracker_callbacks(trainer).get("wandb")
    wandb = getattr(callback, "_wandb", None)
    try:
        if wandb is not None and wandb.run is not None:
            wandb.finish()
    except Exception:  # noqa: BLE001 - closing a tracker must never turn a run into a failure
        pass
