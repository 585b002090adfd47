"""The training section: loss and metrics per epoch, read from the TensorBoard event files the
Keras TensorBoard callback wrote into the ModelRun artifact (`train/`, `validation/`)."""
import os
from typing import Any, Dict, List, Optional, Tuple

import tensorflow as tf

from tfx_hf.pipelines.report import plots
from tfx_hf.pipelines.report.run_record import RunRecord

EPOCH_PREFIX = "epoch_"  # Keras' per-epoch scalars: epoch_loss, epoch_accuracy, ...
STEP_LOSS = "batch_loss"  # the training loss every few steps (run_fn's TensorBoard update_freq)
# Constant or bookkeeping scalars that are no curve of how training went.
SKIPPED = {"learning_rate"}


def _scalar(value) -> Optional[float]:
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor") and value.metadata.plugin_data.plugin_name == "scalars":
        return float(tf.make_ndarray(value.tensor))
    return None


def read_scalars(log_dir: str) -> Dict[str, List[Tuple[int, float]]]:
    """tag → [(step, value)] of every scalar in the event files directly under `log_dir`."""
    scalars: Dict[str, List[Tuple[int, float]]] = {}
    for path in sorted(tf.io.gfile.glob(os.path.join(log_dir, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                number = _scalar(value)
                if number is not None:
                    scalars.setdefault(value.tag, []).append((int(event.step), number))
    return scalars


def training_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run has no ModelRun artifact (no training, or training failed early)."""
    model_run = record.output("ModelRun")
    if model_run is None:
        return None
    curves: Dict[str, Dict[str, List[Tuple[int, float]]]] = {}
    step_loss: List[Tuple[int, float]] = []
    runs = sorted(d.rstrip("/") for d in tf.io.gfile.listdir(model_run.uri)
                  if tf.io.gfile.isdir(os.path.join(model_run.uri, d)))
    for run in runs:
        for tag, points in read_scalars(os.path.join(model_run.uri, run)).items():
            if tag == STEP_LOSS and run == "train":
                step_loss = points
            elif tag.startswith(EPOCH_PREFIX) and tag[len(EPOCH_PREFIX):] not in SKIPPED:
                curves.setdefault(tag[len(EPOCH_PREFIX):], {})[run] = points
    final = [{"metric": name, **{run: points[-1][1] for run, points in by_run.items()}}
             for name, by_run in sorted(curves.items(), key=lambda kv: (kv[0] != "loss", kv[0]))]
    return {
        "log_dir": model_run.uri,
        "runs": sorted({run for by_run in curves.values() for run in by_run}),
        "epochs": max((len(points) for by_run in curves.values() for points in by_run.values()),
                      default=0),
        "final": final,
        "plot": plots.training_curves(curves) if curves else None,
        "step_loss_plot": plots.step_loss(step_loss) if len(step_loss) > 1 else None,
    }
