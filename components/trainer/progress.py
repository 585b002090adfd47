"""Training progress for whoever runs the Trainer in-process and asks for it: the `tfx-hf`
command draws its progress bar from it.

Events are log records on the logger `tfx_hf.progress`, each with its fields in the record's
`progress` attribute. That logger does not propagate: unless someone attached a handler to it
(on Vertex AI, Kubeflow or in a user's own runner nobody does), an event costs one check and
nothing is formatted, written or computed. The log lines for people stay in run_fn's
ProgressLogger.
"""
import logging
import time
from typing import Any, Sequence

import tensorflow as tf

LOGGER_NAME = "tfx_hf.progress"
TRAIN_BEGIN, TRAIN_STEP, TRAIN_END, BUCKETS = "train_begin", "train_step", "train_end", "buckets"
MIN_INTERVAL_S = 0.1  # between two step events: a terminal redraws no faster than that

logger = logging.getLogger(LOGGER_NAME)
logger.propagate = False
logger.setLevel(logging.INFO)


def listening() -> bool:
    return logger.hasHandlers()


def report(event: str, **fields: Any) -> None:
    """Sends one event (`event` plus its fields) to the listeners, if any."""
    if listening():
        logger.info(event, extra={"progress": {"event": event, **fields}})


def report_bucket_lengths(lengths: Sequence[int]) -> None:
    report(BUCKETS, lengths=[int(n) for n in lengths])


class TrainingProgress(tf.keras.callbacks.Callback):
    """Reports the optimizer step out of `total_steps`, the loss Keras reports and examples
    per second, at most every MIN_INTERVAL_S seconds and at the last step. A run restarted
    from a backup counts examples per second from the step it resumed at."""

    def __init__(self, total_steps: int, batch_size: int):
        super().__init__()
        self.total_steps, self.batch_size = total_steps, batch_size
        self._started = self._last_report = 0.0
        self._first_step = 0
        self._step, self._loss = 0, float("nan")

    def on_train_begin(self, logs=None):
        if not listening():
            return
        self._started = time.time()
        self._first_step = self._step = int(self.model.optimizer.iterations.numpy())
        report(TRAIN_BEGIN, step=self._first_step, total_steps=self.total_steps,
               batch_size=self.batch_size)

    def on_train_batch_end(self, batch, logs=None):
        if not listening():
            return
        self._step = int(self.model.optimizer.iterations.numpy())
        self._loss = float((logs or {}).get("loss", float("nan")))
        now = time.time()
        if now - self._last_report >= MIN_INTERVAL_S or self._step >= self.total_steps:
            self._last_report = now
            report(TRAIN_STEP, step=self._step, total_steps=self.total_steps, loss=self._loss,
                   examples_per_second=(self._step - self._first_step) * self.batch_size
                   / max(now - self._started, 1e-9))

    def on_train_end(self, logs=None):
        if listening():
            report(TRAIN_END, step=self._step, total_steps=self.total_steps, loss=self._loss)
