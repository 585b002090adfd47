"""ServingPusher: the standard TFX Pusher, with atomic pushes to local model base paths, that
never replaces a model by one with other labels unless asked."""
from typing import Any, Dict, Optional

from tfx.components import Pusher
from tfx.dsl.components.base import executor_spec

from tfx_hf.components.pusher import executor


class ServingPusher(Pusher):
    """Pushes a blessed model's `Format-Serving` SavedModel to `<base_directory>/<version>`
    (the layout TF Serving loads), taking the standard Pusher's arguments. On a local
    filesystem a version appears complete or not at all (see executor.py).

    A model whose task or label names differ from those of the newest version already at the
    destination is refused (the push fails, nothing is written): clients of that model path
    would read label ids as the old classes. `allow_label_change=True` pushes it anyway.
    """

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, *args, allow_label_change: bool = False,
                 custom_config: Optional[Dict[str, Any]] = None, **kwargs):
        # In custom_config, which the filesystem Pusher leaves to its executor: PusherSpec
        # has no room for another parameter, and TFX's Pusher builds that spec itself.
        if allow_label_change:
            custom_config = {**(custom_config or {}), executor.ALLOW_LABEL_CHANGE_KEY: True}
        super().__init__(*args, custom_config=custom_config, **kwargs)
