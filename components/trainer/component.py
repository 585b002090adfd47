"""HFTrainer: the standard TFX Trainer, set up to fine-tune a 🤗 checkpoint."""
from typing import Optional

from tfx.components import Trainer
from tfx.dsl.components.base import executor_spec
from tfx.proto import trainer_pb2
from tfx.types import BaseChannel

from tfx_hf.components.task.config import TaskConfig
from tfx_hf.components.trainer import executor

RUN_FN = "tfx_hf.components.trainer.run_fn.run_fn"


class HFTrainer(Trainer):
    """A Trainer whose run_fn fine-tunes `config.checkpoint` for `config.task` and exports
    `Format-Serving/` (strings in, predictions out) and `Format-HF/` (the 🤗 model and
    tokenizer files).

    `examples` are the raw Examples of HFDatasetExampleGen (their `label_names` become the
    model's `id2label`); the transform graph is applied on the fly.
    """

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: BaseChannel, transform_graph: BaseChannel,
                 config: TaskConfig, train_steps: int,
                 eval_steps: Optional[int] = None, schema: Optional[BaseChannel] = None):
        """`config` carries the task, checkpoint and every training option (epochs, batch size,
        learning rate, warm-up, weight decay, max length, padding, precision, jit_compile,
        strategy, seed, early stopping, backup); `train_steps` counts optimizer steps."""
        super().__init__(
            examples=examples,
            transform_graph=transform_graph,
            schema=schema,
            run_fn=RUN_FN,
            train_args=trainer_pb2.TrainArgs(num_steps=train_steps),
            eval_args=trainer_pb2.EvalArgs(num_steps=eval_steps),
            custom_config=config.to_custom_config())
