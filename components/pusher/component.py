"""ServingPusher: the standard TFX Pusher, with atomic pushes to local model base paths."""
from tfx.components import Pusher
from tfx.dsl.components.base import executor_spec

from tfx_hf.components.pusher import executor


class ServingPusher(Pusher):
    """Pushes a blessed model's `Format-Serving` SavedModel to `<base_directory>/<version>`
    (the layout TF Serving loads), taking the standard Pusher's arguments. On a local
    filesystem a version appears complete or not at all (see executor.py)."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
