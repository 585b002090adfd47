"""TaskConfig: what Transform's preprocessing_fn and the Trainer's run_fn both read.

It travels as the components' `custom_config` dict (plain JSON, stored in MLMD: never a secret).
"""
import dataclasses
from typing import Any, Dict, List, Optional

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.long_text import AGGREGATIONS, LONG_TEXT_MODES, TRUNCATE, WINDOWS
from tfx_hf.components.task.registry import get_task
from tfx_hf.components.task.sequence_classification import SINGLE_LABEL
from tfx_hf.components.task.token_classification import AGGREGATION_STRATEGIES

PADDINGS = ("buckets", "max_length")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "auto")
# max_length="auto": create_pipeline picks it from the dataset's token lengths before the run
# (components/token_lengths/auto.py); the components get the number.
MAX_LENGTH_AUTO = "auto"


@dataclasses.dataclass
class TaskConfig:
    """A text task on a 🤗 checkpoint, named as 🤗 and Keras name things.

    task: a task name of `registry.TASKS`: `single_label_classification` (one text, or a pair
      with `text_pair_feature`), `multi_label_classification` (label = a list of class ids),
      or `regression` (a float).
    max_length: tokens per row, or "auto" (create_pipeline picks the smallest multiple of 8
      covering the 95th percentile of the training texts' token lengths, capped by the model).
    padding: `buckets` pads each training batch to one of a few lengths chosen from the
      data (static shapes for XLA, little wasted compute); `max_length` pads every batch fully.
    precision: `mixed_float16`, `mixed_bfloat16`, `auto` (bfloat16 on TPU and GPUs that have
      it, else float16 on GPU, float32 on CPU) or `float32`.
    epochs: the train steps are split into this many Keras epochs, each validated;
      `early_stopping_patience` stops after that many epochs without a better val_loss.
    label_all_tokens, aggregation_strategy: token_classification only (text_feature names the
      words column, label_feature the tags column): every sub-word of a word gets its tag
      (B- turned into I-) instead of the first only; how served sub-words are merged into
      entities, as 🤗's pipeline names it (simple, first, average, max).
    long_text: `truncate` keeps each text's first max_length tokens; `windows` cuts a longer
      text into 🤗's overflowing windows of max_length tokens, `stride` tokens shared by
      consecutive windows, at most `max_windows` per text (task/long_text.py): training
      learns each window with its text's label; the served model answers per text from its
      windows' logits aggregated by `window_aggregation` (`mean_logits` or `max_logits`).
    backup_dir: where BackupAndRestore keeps the state a restarted run resumes from (default:
      inside the model run artifact, which a retried execution reuses).
    serving_jit_compile: the served model's model part (token ids → logits) compiled with XLA,
      one program per serving length; off by default: TF Serving runs it only when started
      with `--xla_cpu_compilation_enabled` (experimental), and on CPU it did not pay (README).
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
    label_all_tokens: bool = False
    aggregation_strategy: str = "simple"
    long_text: str = TRUNCATE
    stride: int = 0
    max_windows: int = 16
    window_aggregation: str = AGGREGATIONS[0]
    serving_jit_compile: bool = False

    def __post_init__(self):
        task = get_task(self.task)  # an unknown task fails here, naming the registered ones
        self.task = task.name  # "token-classification" → "token_classification"
        for name, value, allowed in (("padding", self.padding, PADDINGS),
                                     ("precision", self.precision, PRECISIONS),
                                     ("aggregation_strategy", self.aggregation_strategy,
                                      AGGREGATION_STRATEGIES)):
            if value not in allowed:
                raise InputError(f"{name}={value!r}: use one of {allowed}.")
        for name in ("max_length", "batch_size", "num_buckets", "epochs", "backup_every_steps"):
            if not (name == "max_length" and self.max_length == MAX_LENGTH_AUTO):
                check_int(name, getattr(self, name), minimum=1)
        if self.early_stopping_patience is not None:
            check_int("early_stopping_patience", self.early_stopping_patience, minimum=1)
        check_number("learning_rate", self.learning_rate, minimum=0)
        check_number("warmup_ratio", self.warmup_ratio, minimum=0, maximum=1)
        check_number("weight_decay", self.weight_decay, minimum=0)
        for name in ("text_feature", "label_feature") + (
                ("text_pair_feature",) if self.text_pair_feature is not None else ()):
            check_column_name(name, getattr(self, name))
        if self.label_feature in self.text_features:
            raise InputError(f"label_feature={self.label_feature!r} is also a text feature: "
                             "name the label column and the text column(s) apart.")
        if not isinstance(self.serving_jit_compile, bool):
            raise InputError(f"serving_jit_compile={self.serving_jit_compile!r}: must be true "
                             "or false.")
        if self.label_names is not None and task.encodes_class_labels:
            check_label_names(self.label_names)
        self._check_long_text()
        if self.windows and task.token_labels:
            raise InputError(f"long_text='windows' is not available for task={self.task!r}: "
                             "its texts are truncated at max_length; use long_text='truncate'.")

    def _check_long_text(self) -> None:
        for name, value, allowed in (("long_text", self.long_text, LONG_TEXT_MODES),
                                     ("window_aggregation", self.window_aggregation,
                                      AGGREGATIONS)):
            if value not in allowed:
                raise InputError(f"{name}={value!r}: use one of {allowed}.")
        check_int("max_windows", self.max_windows, minimum=1)
        # The exact bound (max_length less the special tokens) is checked where the
        # tokenizer is read (pipelines/text_classification.py, InGraphTokenizer).
        # (With max_length="auto", once it is picked.)
        window = None if self.max_length == MAX_LENGTH_AUTO else max(self.max_length - 2, 0)
        check_int("stride", self.stride, minimum=0, maximum=window,
                  why="tokens shared by consecutive windows, fewer than a window holds")

    @property
    def windows(self) -> bool:
        return self.long_text == WINDOWS

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


def check_int(name: str, value: Any, minimum: int, maximum: Optional[int] = None,
              why: str = "") -> None:
    """An integer setting within [minimum, maximum]; the error names the setting and the
    range (and `why`, the reason for the range)."""
    allowed = f"an integer from {minimum}" + (f" to {maximum}" if maximum is not None else
                                              " up") + (f" ({why})" if why else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name}={value!r}: must be {allowed}.")
    if value < minimum or (maximum is not None and value > maximum):
        raise InputError(f"{name}={value}: must be {allowed}.")


def check_number(name: str, value: Any, minimum: float, maximum: Optional[float] = None) -> None:
    allowed = f"a number from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise InputError(f"{name}={value!r}: must be {allowed}.")
    if value < minimum or (maximum is not None and value > maximum):
        raise InputError(f"{name}={value}: must be {allowed}.")


def check_column_name(name: str, value: Any) -> None:
    """A column name is a non-empty string (a YAML number such as `text_feature: 1` is not: a
    column is named, not numbered)."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name}={value!r}: must be the name of a dataset column (a "
                         "non-empty string), e.g. 'text'.")


def check_label_names(label_names: Any) -> None:
    """Class names of a classifier: 2 at least, all different."""
    if not isinstance(label_names, (list, tuple)) or \
            not all(isinstance(n, str) for n in label_names):
        raise InputError(f"label_names={label_names!r}: must be a list of class names.")
    if len(label_names) < 2:
        raise InputError(f"label_names={list(label_names)}: a classifier needs at least 2 "
                         "classes.")
    if len(set(label_names)) != len(label_names):
        raise InputError(f"label_names={list(label_names)}: class names must be different.")
