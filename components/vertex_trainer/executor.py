"""Starts a Vertex AI CustomJob that runs HFTrainer's own executor.

TFX's `google_cloud_ai_platform` Trainer executor does not train: it starts a CustomJob whose
container command is `python -m tfx.scripts.run_executor --executor_class_path X ...`, X
being the class its `_GetExecutorClass()` returns. Returning ours makes the job train with our
run_fn and the Examples' `label_names`, inside the worker pool's image (the pipeline image).
"""
from tfx.extensions.google_cloud_ai_platform.trainer import executor as ai_platform_executor

from tfx_hf.components.trainer import executor as hf_trainer_executor


class Executor(ai_platform_executor.GenericExecutor):
    """Launches `tfx_hf.components.trainer.executor.Executor` as a Vertex AI CustomJob."""

    def _GetExecutorClass(self):
        return hf_trainer_executor.Executor
