"""Task: what one task decides, from the label in the transform graph to a shown prediction.

A task is named as 🤗 names its `problem_type` (`single_label_classification`, …). A task
family (sequence classification today; token classification, long documents later) is one
module of this package defining its tasks as `Task` subclasses; `registry.py` maps each
name to its task object, and nothing outside this package branches on a task name.

Each stage of the pipeline asks the task for its part:
- Transform (`preprocessing_fn`): `transform_label` → the `contracts.LABEL_ID_FEATURE`;
- Trainer (`run_fn`): `label_names`, `training_label`, `auto_model_class` +
  `from_pretrained_kwargs`, `default_loss`, `keras_metrics`;
- export: `serving_outputs` (logits → the `serving_default` outputs) and `evaluation_label`
  (the `transform_labels` signature);
- Evaluator: `threshold_names`, `overall_metrics`, `plots`, `class_metrics_specs`,
  `main_metric`, `prediction_key`;
- reading answers: `show_prediction` (predict, the run summary), `accuracy_metric`,
  `serving_expectations` (serve-check), `description` (the model card).
"""
import abc
from typing import Any, Callable, Dict, List, Optional, Tuple

import tensorflow as tf

# threshold name, higher is better → a tfma.MetricThreshold or None (see eval_config).
ThresholdFor = Callable[..., Any]


class Task(abc.ABC):
    """One task of a task family. Subclasses set the class attributes and the abstract steps."""

    name: str  # 🤗's problem_type; the registry key and the `task` of model_info.json
    description: str  # how a model card names the task, e.g. "text classification"
    auto_model_class: str  # the transformers `TFAutoModelFor…` class the checkpoint loads as
    encodes_class_labels: bool  # whether ExampleGen class-encodes the label column

    # Evaluation (see components/evaluation/eval_config.py).
    overall_metrics: Dict[str, Tuple[str, bool]]  # threshold name → (TFMA class, higher better)
    plots: Tuple[str, ...] = ()  # TFMA plot classes computed on all examples
    main_metric: str  # the threshold name compared with the latest blessed model
    prediction_key: str  # the serving output TFMA compares with the label
    accuracy_metric: Optional[str] = None  # the TFMA metric a run summary calls `accuracy`
    # Whether the label is one per token (`[max_length]`, -100 where none applies): training
    # batches cut and pad it with the inputs, evaluation sees it at full length.
    token_labels: bool = False

    # --- Transform -------------------------------------------------------------------------
    @abc.abstractmethod
    def transform_label(self, label) -> Any:
        """The raw label feature (dense, sparse or ragged) → the `contracts.LABEL_ID_FEATURE`
        the transform graph outputs. Runs inside the `preprocessing_fn`."""

    def transform_features(self, inputs: Dict[str, Any], config) -> Optional[Dict[str, Any]]:
        """The whole transform output (model inputs and `LABEL_ID_FEATURE`) for tasks that
        tokenize otherwise than the text features (words of a word-tagged dataset); None: the
        text features are tokenized and the label is `transform_label`'s."""
        return None

    # --- Trainer ---------------------------------------------------------------------------
    @abc.abstractmethod
    def label_names(self, configured: Optional[List[str]], tf_transform_output,
                    label_feature: str) -> List[str]:
        """The class names in id order: `configured` (TaskConfig.label_names, filled from the
        Examples' ClassLabel names), else what Transform learned; [] when there are none."""

    def training_label(self, label_id, num_labels: int) -> tf.Tensor:
        """`LABEL_ID_FEATURE` → the label Keras `fit()` gives the model and its loss."""
        del num_labels  # the label as transformed, unless the task says otherwise
        return label_id

    @abc.abstractmethod
    def from_pretrained_kwargs(self, label_names: List[str]) -> Dict[str, Any]:
        """`num_labels`, `id2label`, `label2id`, `problem_type` for `from_pretrained`."""

    def default_loss(self) -> Optional[tf.keras.losses.Loss]:
        """The loss when the user gives none; None: the 🤗 model's own loss."""
        return None

    @abc.abstractmethod
    def keras_metrics(self) -> List[tf.keras.metrics.Metric]:
        """The metrics `compile()` reports during training and validation."""

    # --- Export ----------------------------------------------------------------------------
    @abc.abstractmethod
    def serving_outputs(self, logits: tf.Tensor, label_names: tf.Tensor) -> Dict[str, tf.Tensor]:
        """float32 logits → the outputs of `serving_default` and `serving_tf_example`.
        `label_names`: a string tensor of the class names in id order ([""] without any)."""

    def serving_text_inputs(self, text_features: List[str]) -> List[str]:
        """The input names of `serving_default`: the text features unless the task says."""
        return list(text_features)

    def check_checkpoint(self, checkpoint: str) -> None:
        """What the task needs of a checkpoint's tokenizer beyond what every task needs,
        checked before a pipeline runs: InputError naming what is missing."""
        del checkpoint  # nothing beyond the tokenizer files every task reads

    def hf_tokenizer_options(self, checkpoint: str) -> Dict[str, Any]:
        """Options of 🤗's `AutoTokenizer.from_pretrained` the Format-HF tokenizer is saved
        with, when the task tokenizes otherwise than the checkpoint's files say ({}: as is)."""
        return {}

    def text_server(self, config, label_names: List[str]) -> Optional[tf.Module]:
        """None: `serving_default` feeds its texts to the transform graph and the logits to
        `serving_outputs`. Else a tf.Module called `(texts, run_model)` → the outputs, where
        `run_model(model inputs)` gives the logits (a task whose transform graph does not take
        raw text)."""
        return None

    def evaluation_label(self, label_id, num_labels: int) -> tf.Tensor:
        """`LABEL_ID_FEATURE` → the label the `transform_labels` signature gives TFMA to
        compare with `prediction_key`: the label training uses."""
        return self.training_label(label_id, num_labels)

    # --- Evaluation ------------------------------------------------------------------------
    @abc.abstractmethod
    def threshold_names(self) -> List[str]:
        """The metric names `eval_config(thresholds=...)` accepts."""

    @abc.abstractmethod
    def class_metrics_specs(self, num_classes: Optional[int],
                            threshold_for: ThresholdFor) -> list:
        """The `tfma.MetricsSpec`s beyond the overall ones: per class and their averages.
        `num_classes` None: HFEvaluator fills in the model's classes at run time."""

    # --- Reading answers -------------------------------------------------------------------
    @abc.abstractmethod
    def show_prediction(self, outputs: Dict[str, Any], label_names: List[str]) -> Dict[str, Any]:
        """One example's `serving_default` outputs (numpy) → what `predict` returns for it,
        with `summary`, a one-line description."""

    @abc.abstractmethod
    def serving_expectations(self, label_names: List[str]) -> Dict[str, Any]:
        """What serve-check requires of `serving_default`'s outputs, as plain JSON (its
        checking process cannot import this package):
        - `outputs`: the names that must be there; `description`: the model, for messages;
        - `label_names`: the class names;
        - `probabilities` (optional): the output whose rows are a distribution over them;
        - `class_name_of_id` (optional): [name output, id output], the id naming the name;
        - `unit_interval` (optional): outputs whose values lie in [0, 1]."""
