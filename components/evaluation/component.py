"""HFEvaluator: the standard TFX Evaluator, with per-class metrics for the model's classes."""
from typing import Optional

from tfx.components import Evaluator
from tfx.dsl.components.base import executor_spec
from tfx.types import BaseChannel, component_spec, standard_component_specs

from tfx_hf.components.evaluation import executor
from tfx_hf.components.evaluation.executor import (MIN_TOKENIZER_EXACT_ROW_RATE_KEY,
                                                   TOKENIZER_PARITY_KEY)
from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity

TENSORFLOW_TEXT_OPS = "tfx_hf.components.export.tensorflow_text_ops"


class HFEvaluatorSpec(standard_component_specs.EvaluatorSpec):
    """The Evaluator's spec plus TokenizerParityCheck's certificate and the exact-row rate a
    model trained despite a tokenizer mismatch needs to be blessed."""

    PARAMETERS = {**standard_component_specs.EvaluatorSpec.PARAMETERS,
                  MIN_TOKENIZER_EXACT_ROW_RATE_KEY: component_spec.ExecutionParameter(
                      type=float, optional=True)}
    INPUTS = {**standard_component_specs.EvaluatorSpec.INPUTS,
              TOKENIZER_PARITY_KEY: component_spec.ChannelParameter(type=TokenizerParity,
                                                                    optional=True)}


class HFEvaluator(Evaluator):
    """Evaluates a model HFTrainer exported, with `eval_config(task, ...)`.

    Takes the standard Evaluator's arguments. Its executor fills in the class ids of per-class
    metrics from the candidate model's label names, and registers the tensorflow-text ops the
    model's tokenizer needs in every Beam worker (`module_path`).

    `tokenizer_parity`: TokenizerParityCheck's certificate. When it records differences the
    user allowed (`allow_tokenizer_mismatch`), the model is blessed only if the eval
    thresholds bound the exact-row rate too (`min_tokenizer_exact_row_rate`, the
    `tokenizer_exact_row_rate` threshold of create_pipeline) and the rate meets it: allowing
    a mismatch to train is not allowing it to serve.
    """

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, *args, module_path: str = TENSORFLOW_TEXT_OPS,
                 tokenizer_parity: Optional[BaseChannel] = None,
                 min_tokenizer_exact_row_rate: Optional[float] = None, **kwargs):
        super().__init__(*args, module_path=module_path, **kwargs)
        if tokenizer_parity is None and min_tokenizer_exact_row_rate is None:
            return  # the standard Evaluator's spec, as before
        # The standard __init__ builds an EvaluatorSpec; the same with the two additions.
        standard = self.spec
        self.spec = HFEvaluatorSpec(
            **standard.exec_properties, **standard.inputs, **standard.outputs,
            **{TOKENIZER_PARITY_KEY: tokenizer_parity,
               MIN_TOKENIZER_EXACT_ROW_RATE_KEY: min_tokenizer_exact_row_rate})
