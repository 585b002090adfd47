"""What a text task trains on and how: one module per task family, shared by Transform, the
Trainer, the export, the Evaluator and the readers of a served model."""
from tfx_hf.components.task.base import Task  # noqa: F401
from tfx_hf.components.task.config import TaskConfig  # noqa: F401
from tfx_hf.components.task.registry import TASKS, get_task  # noqa: F401
