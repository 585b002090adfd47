"""TaskConfig: what Transform's preprocessing_fn and the Trainer's run_fn both read.

It travels as the components' `custom_config` dict (plain JSON, stored in MLMD: never a secret).
"""
import dataclasses
from typing import Any, Dict, List, Optional

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.registry import get_task
from tfx_hf.components.task.sequence_classification import SINGLE_LABEL

PADDINGS = ("buckets", "max_length")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "auto")


@dataclasses.dataclass
class TaskConfig:
    """A text task on a 🤗 checkpoint, named as 🤗 and Keras name things.

    task: a task name of `registry.TASKS`: `single_label_classification` (one text, or a pair
      with `text_pair_feature`), `multi_label_classification` (label = a list of class ids),
      or `regression` (a float).
    padding: `buckets` pads each training batch to one of a few lengths chosen from the
      data (static shapes for XLA, little wasted compute); `max_length` pads every batch fully.
    precision: `mixed_float16`, `mixed_bfloat16`, `auto` (bfloat16 on TPU and GPUs that have
      it, else float16 on GPU, float32 on CPU) or `float32`.
    epochs: the train steps are split into this many Keras epochs, each validated;
      `early_stopping_patience` stops after that many epochs without a better val_loss.
    backup_dir: where BackupAndRestore keeps the state a restarted run resumes from (default:
      inside the model run artifact, which a retried execution reuses).
    """
    checkpoint: str
    task: str = SINGLE_LABEL
    text_feature: str = "text"
    text_pair_feature: Optional[str] = None
    label_feature: str = "label"
    max_length: int = 128
    padding: str = "buckets"
    num_buckets: int = 4
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    epochs: int = 1
    early_stopping_patience: Optional[int] = None
    precision: str = "float32"
    jit_compile: bool = False
    strategy: str = "auto"
    seed: int = 42
    backup_dir: Optional[str] = None
    backup_every_steps: int = 50
    allow_pickle: bool = False
    # A Keras loss name or the import path of a function returning a loss; None: the model's
    # own loss (binary cross-entropy on logits for multi-label, which 🤗 TF models lack).
    loss: Optional[str] = None
    # Class names in id order. Filled at run time from the Examples artifact's `label_names`
    # (HFDatasetExampleGen) unless given here.
    label_names: Optional[List[str]] = None

    def __post_init__(self):
        get_task(self.task)  # an unknown task fails here, naming the registered ones
        for name, value, allowed in (("padding", self.padding, PADDINGS),
                                     ("precision", self.precision, PRECISIONS)):
            if value not in allowed:
                raise InputError(f"{name}={value!r}: use one of {allowed}.")

    @property
    def text_features(self) -> List[str]:
        return [self.text_feature] + ([self.text_pair_feature] if self.text_pair_feature else [])

    def to_custom_config(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_custom_config(cls, custom_config: Optional[Dict[str, Any]]) -> "TaskConfig":
        if not custom_config or "checkpoint" not in custom_config:
            raise InputError("custom_config must hold a TaskConfig (at least 'checkpoint'); "
                             "build it with TaskConfig(...).to_custom_config().")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(custom_config) - known)
        if unknown:
            raise InputError(f"Unknown custom_config keys {unknown}; known: {sorted(known)}.")
        return cls(**custom_config)
