"""HFVertexPusher: TFX's Vertex AI Pusher, refusing a model with other labels (executor.py)."""
from tfx.dsl.components.base import executor_spec
from tfx.extensions.google_cloud_ai_platform.pusher.component import Pusher

from tfx_hf.components.vertex_pusher import executor


class HFVertexPusher(Pusher):
    """Takes TFX's Vertex AI Pusher's arguments; `custom_config["allow_label_change"]` lets a
    model of another task or other label names replace the one the endpoint serves."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
