"""What components promise each other: Examples artifact properties and the Model layout.

Every component, pipeline helper and test reads these names from here; none spells them out.
This module imports only the standard library (it is read by light processes such as the CLI
and by the Hub pusher, which must not pull in Beam or tf.Transform for a string); file access
goes through `tf.io.gfile` (local, gs://) imported when a file is read or written.

The Model artifact written by HFTrainer:

    <model.uri>/Format-Serving/          the end-to-end SavedModel (TFX's serving model dir)
        saved_model.pb, variables/
        assets.extra/model_info.json     ModelInfo: task, text inputs, label names, versions
        assets.extra/requirements.txt    the tensorflow / tensorflow-text pins it needs
    <model.uri>/Format-HF/               the fine-tuned 🤗 model and tokenizer files

A push destination holds numbered versions `<base>/<unix time>/` of `Format-Serving/`.
"""
import dataclasses
import json
import logging
import os
from typing import Any, Dict, List, Optional, Tuple

from tfx_hf.components.input_error import InputError

# --- Examples artifact (HFDatasetExampleGen), custom properties -------------------------------
# {label feature: [class names in id order]} for every ClassLabel column.
LABEL_NAMES_PROPERTY = "label_names"
# {TFX split: rows written}; equal to the rows read, or the component fails.
ROW_COUNTS_PROPERTY = "row_counts"
# Lines of csv/json/txt inputs read with U+FFFD for bytes that were not UTF-8.
INVALID_UTF8_PROPERTY = "invalid_utf8_lines_replaced"
# {tags column: [tag names in id order]} for the word-tagged columns (token classification).
TAG_NAMES_PROPERTY = "tag_names"

# --- TransformGraph artifact (Transform with tfx_hf's preprocessing_fn), transformed features -
# The 🤗 model's inputs, as the tokenizer names them (a tokenizer may leave token_type_ids out).
MODEL_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# The label as the task's `transform_label` makes it; the raw label column keeps its own name.
LABEL_ID_FEATURE = "label_id"

# --- Model artifact (HFTrainer) ---------------------------------------------------------------
SERVING_MODEL_DIR = "Format-Serving"  # = tfx.utils.path_utils.serving_model_dir's name
HF_FORMAT_DIR = "Format-HF"
ASSETS_EXTRA_DIR = "assets.extra"
MODEL_INFO_FILE = "model_info.json"
REQUIREMENTS_FILE = "requirements.txt"
WARMUP_REQUESTS_FILE = "tf_serving_warmup_requests"  # TF Serving reads this name

# Signatures of the serving SavedModel.
SERVING_DEFAULT_SIGNATURE = "serving_default"      # raw strings, one input per text feature
SERVING_EXAMPLE_SIGNATURE = "serving_tf_example"   # serialized tf.Examples (TFMA, BulkInferrer)
TRANSFORM_FEATURES_SIGNATURE = "transform_features"  # serialized tf.Examples → model inputs
TRANSFORM_LABELS_SIGNATURE = "transform_labels"    # serialized tf.Examples → labels as evaluated
EXAMPLES_INPUT = "examples"  # the input name of the signatures that take tf.Examples


def serving_model_dir(model_uri: str) -> str:
    return os.path.join(model_uri, SERVING_MODEL_DIR)


def hf_format_dir(model_uri: str) -> str:
    return os.path.join(model_uri, HF_FORMAT_DIR)


def assets_extra_path(saved_model_dir: str, name: str) -> str:
    return os.path.join(saved_model_dir, ASSETS_EXTRA_DIR, name)


def is_complete_saved_model(path: str) -> bool:
    """Whether `path` holds a SavedModel that can be loaded: its graph and its variables' index
    (a copy that stopped midway lacks one of them; TFX's Pusher writes saved_model.pb last)."""
    import tensorflow as tf

    graph = os.path.join(path, "saved_model.pb")
    return tf.io.gfile.exists(graph) and tf.io.gfile.stat(graph).length > 0 and \
        tf.io.gfile.exists(os.path.join(path, "variables", "variables.index"))


def pushed_versions(base_directory: str) -> Tuple[List[str], List[str]]:
    """(complete, incomplete) numbered version folders of a push destination, newest first."""
    import tensorflow as tf

    if not tf.io.gfile.isdir(base_directory):
        return [], []
    versions = sorted((d.rstrip("/") for d in tf.io.gfile.listdir(base_directory)
                       if d.rstrip("/").isdigit()), key=int, reverse=True)
    paths = [os.path.join(base_directory, v) for v in versions]
    complete = [p for p in paths if is_complete_saved_model(p)]
    return complete, [p for p in paths if p not in complete]


def newest_complete_version(base_directory: str) -> Optional[str]:
    """The newest version of a push destination that is a complete SavedModel; None if none.
    Incomplete versions newer than it are logged, naming them."""
    complete, incomplete = pushed_versions(base_directory)
    newest = complete[0] if complete else None
    skipped = [p for p in incomplete if newest is None or
               int(os.path.basename(p)) > int(os.path.basename(newest))]
    if skipped:
        logging.getLogger(__name__).warning(
            "Skipping version folder(s) that are not complete SavedModels (no saved_model.pb "
            "or no variables/variables.index): %s", ", ".join(skipped))
    return newest


def latest_version(model_dir: str) -> str:
    """A SavedModel folder as is; a push destination (numbered versions): its newest version
    that is a complete SavedModel (newer, incomplete ones are skipped with a warning naming
    them). Raises InputError when it is neither, or when no version is complete."""
    import tensorflow as tf  # late: callers may be light; gfile reads local and gs://

    if tf.io.gfile.exists(os.path.join(model_dir, "saved_model.pb")):
        return model_dir
    newest = newest_complete_version(model_dir)
    if newest:
        return newest
    _, incomplete = pushed_versions(model_dir)
    if incomplete:
        raise InputError(
            f"{model_dir!r} has no complete SavedModel version: "
            f"{', '.join(os.path.basename(p) for p in incomplete)} lack saved_model.pb or "
            "variables/variables.index (an interrupted copy?). Push the model again.")
    raise InputError(f"{model_dir!r} is neither a SavedModel folder (no saved_model.pb) nor "
                     "a push destination with numbered versions.")


@dataclasses.dataclass
class ModelInfo:
    """`assets.extra/model_info.json` of a serving model: what a reader needs to call it and
    show its answers without the training stack."""
    task: str
    text_features: List[str]
    label_names: List[str]
    tensorflow_text_version: str
    # The lengths a request batch is padded to (the smallest that holds its longest row).
    serving_lengths: Optional[List[int]] = None
    # How texts longer than max_length are read: {"long_text": "windows", "max_length",
    # "stride", "max_windows", "aggregation": "mean_logits" | "max_logits"}; None: truncated.
    long_text: Optional[Dict[str, Any]] = None

    @classmethod
    def path(cls, saved_model_dir: str) -> str:
        return assets_extra_path(saved_model_dir, MODEL_INFO_FILE)

    def write(self, saved_model_dir: str) -> None:
        import tensorflow as tf

        tf.io.gfile.makedirs(os.path.dirname(self.path(saved_model_dir)))
        with tf.io.gfile.GFile(self.path(saved_model_dir), "w") as f:
            json.dump(dataclasses.asdict(self), f, indent=2)

    @classmethod
    def read(cls, saved_model_dir: str) -> Optional["ModelInfo"]:
        """The model's info; None when the SavedModel was not exported by tfx-hf."""
        import tensorflow as tf

        if not tf.io.gfile.exists(cls.path(saved_model_dir)):
            return None
        with tf.io.gfile.GFile(cls.path(saved_model_dir)) as f:
            return cls.from_json(f.read())

    def same_outputs(self, other: "ModelInfo") -> bool:
        """Whether both models answer the same question: the same task and label names, in
        the same order (a label id means the same class in both)."""
        return self.task == other.task and list(self.label_names or []) == \
            list(other.label_names or [])

    def describe_outputs(self) -> str:
        return f"{self.task} with labels {list(self.label_names or [])}"

    @classmethod
    def from_json(cls, text: str) -> "ModelInfo":
        data = json.loads(text)
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
