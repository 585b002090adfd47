"""Task name (🤗's problem_type) → task object; a new task family registers its tasks here."""
from typing import Dict

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import sequence_classification, token_classification
from tfx_hf.components.task.base import Task

TASKS: Dict[str, Task] = {task.name: task for task in (
    sequence_classification.SingleLabelClassification(),
    sequence_classification.MultiLabelClassification(),
    sequence_classification.Regression(),
    token_classification.TokenClassification(),
)}


class UnknownTaskError(InputError):
    """A task name that no task family defines."""


def get_task(name: str) -> Task:
    """The task named `name` (or as 🤗's pipelines spell it, with hyphens:
    "token-classification"); an error listing the known names otherwise."""
    try:
        return TASKS[name.replace("-", "_") if isinstance(name, str) else name]
    except KeyError:
        raise UnknownTaskError(f"task={name!r}: use one of {list(TASKS)}.") from None
