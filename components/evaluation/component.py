"""HFEvaluator: the standard TFX Evaluator, with per-class metrics for the model's classes."""
from tfx.components import Evaluator
from tfx.dsl.components.base import executor_spec

from tfx_hf.components.evaluation import executor

TENSORFLOW_TEXT_OPS = "tfx_hf.components.export.tensorflow_text_ops"


class HFEvaluator(Evaluator):
    """Evaluates a model HFTrainer exported, with `eval_config(task, ...)`.

    Takes the standard Evaluator's arguments. Its executor fills in the class ids of per-class
    metrics from the candidate model's label names, and registers the tensorflow-text ops the
    model's tokenizer needs in every Beam worker (`module_path`).
    """

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, *args, module_path: str = TENSORFLOW_TEXT_OPS, **kwargs):
        super().__init__(*args, module_path=module_path, **kwargs)
