"""The text-classification task's settings, shared by Transform, Trainer and Evaluator."""
from tfx_hf.components.text_classification.config import TextClassificationConfig  # noqa: F401
