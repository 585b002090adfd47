"""Progress events of components that run in this process, for whoever listens: the `tfx-hf`
command draws its progress bars from them (pipelines/cli/watch.py).

Events are log records on the logger `tfx_hf.progress`, each with its fields in the record's
`progress` attribute. That logger does not propagate: unless someone attached a handler to it
(on Vertex AI, Kubeflow, in Beam worker processes or in a user's own runner nobody does), an
event costs one check and nothing is formatted or written. Standard library only, so that
Beam workers and the light CLI modules can import it.
"""
import logging
from typing import Any

LOGGER_NAME = "tfx_hf.progress"
# Training (components/trainer/progress.py): the bucket lengths, then begin, steps, end.
TRAIN_BEGIN, TRAIN_STEP, TRAIN_END, BUCKETS = "train_begin", "train_step", "train_end", "buckets"
# Rows a component has processed: `rows` more, of `total` (None when unknown).
ROWS = "rows"

logger = logging.getLogger(LOGGER_NAME)
logger.propagate = False
logger.setLevel(logging.INFO)


def listening() -> bool:
    return logger.hasHandlers()


def report(event: str, **fields: Any) -> None:
    """Sends one event (`event` plus its fields) to the listeners, if any."""
    if listening():
        logger.info(event, extra={"progress": {"event": event, **fields}})
