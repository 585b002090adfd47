"""TFMA evaluation and blessing for the exported serving model."""
from tfx_hf.components.evaluation.eval_config import eval_config  # noqa: F401
