"""Training progress events (components/progress_events.py) for whoever runs the Trainer
in-process and listens: the `tfx-hf` command draws its progress bar from them. Nobody listens
on Vertex AI or Kubeflow: then an event costs one check. The log lines for people stay in
run_fn's ProgressLogger.
"""
import time
from typing import Sequence

import tensorflow as tf

from tfx_hf.components.progress_events import (BUCKETS, TRAIN_BEGIN, TRAIN_END, TRAIN_STEP,
                                               listening, report)

MIN_INTERVAL_S = 0.1  # between two step events: a terminal redraws no faster than that


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
