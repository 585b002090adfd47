"""What a text task trains on and how: shared by Transform, Trainer and the export."""
from tfx_hf.components.task.config import TaskConfig  # noqa: F401
