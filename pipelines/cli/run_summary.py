"""OUTPUT/summary.json of `demo` and `run`: the run's results (pipelines.results), the
tokenizer's max_length, and the trained model's answers to samples of the run's own eval
split: a few rows per class, each with its true label beside the predicted one."""
import collections
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops of the model's tokenizer)

from tfx_hf.components.contracts import (SERVING_DEFAULT_SIGNATURE, SERVING_EXAMPLE_SIGNATURE,
                                         ModelInfo)
from tfx_hf.components.task import get_task
from tfx_hf.pipelines import config
from tfx_hf.pipelines.run_output import SUMMARY_FILE
from tfx_hf.pipelines.text_classification import create_pipeline

EVAL_SPLIT = "eval"  # the split create_pipeline's Trainer and Evaluator evaluate on
SAMPLES_PER_CLASS = 2
MAX_SAMPLES = 12


def _values(feature: tf.train.Feature) -> list:
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value) if kind else []


def eval_samples(examples_uri: str, label_feature: str, num_classes: Optional[int] = None,
                 per_class: int = SAMPLES_PER_CLASS,
                 limit: int = MAX_SAMPLES) -> List[tf.train.Example]:
    """Up to `per_class` rows of each label value (a class id; for multi-label a set of
    classes, for regression a value) of the eval split, `limit` in all, grouped by label, in
    the order the split holds them. Reading stops once every class has its rows."""
    files = sorted(tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{EVAL_SPLIT}", "*")))
    wanted = min(limit, per_class * num_classes) if num_classes else limit
    chosen: Dict[Tuple, List[tf.train.Example]] = collections.OrderedDict()
    count = 0
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
        example = tf.train.Example.FromString(record.numpy())
        key = tuple(_values(example.features.feature[label_feature]))
        rows = chosen.setdefault(key, [])
        if len(rows) < per_class:
            rows.append(example)
            count += 1
            if count >= wanted:
                break
    return [example for key in sorted(chosen) for example in chosen[key]]


def _decoded(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def true_label(values: list, label_names: List[str]) -> str:
    """A label as stored in the examples, by name: class ids become names, a value stays."""
    if values and all(isinstance(v, int) for v in values) and label_names:
        return ",".join(label_names[v] if 0 <= v < len(label_names) else str(v)
                        for v in values)
    return ",".join(f"{v:.4g}" if isinstance(v, float) else _decoded(v) for v in values)


def predict_samples(model_dir: str, examples: List[tf.train.Example],
                    label_feature: str, text_feature: Optional[str] = None
                    ) -> List[Dict[str, Any]]:
    """The model's answer to each example (through `serving_tf_example`, so a text pair
    model gets its pairs) as its task shows it, with `text` and `true_label`. A token
    classifier answers through `serving_default` on the row's words (`text_feature`) joined
    by spaces, and its true label is the words' tags."""
    if not examples:
        return []
    info = ModelInfo.read(model_dir)
    task = get_task(info.task)
    if task.token_labels:
        return _token_samples(model_dir, examples, label_feature, text_feature, info)
    serve = tf.saved_model.load(model_dir).signatures[SERVING_EXAMPLE_SIGNATURE]
    (name,) = serve.structured_input_signature[1]
    outputs = serve(**{name: tf.constant([e.SerializeToString() for e in examples])})
    outputs = {key: value.numpy() for key, value in outputs.items()}
    samples = []
    for i, example in enumerate(examples):
        features = example.features.feature
        text = " ‖ ".join(_decoded(v) for feature in info.text_features
                          for v in _values(features[feature]))
        shown = task.show_prediction({key: value[i] for key, value in outputs.items()},
                                     info.label_names)
        samples.append({"text": text, **shown, "true_label": true_label(
            _values(features[label_feature]), info.label_names)})
    return samples


def _token_samples(model_dir: str, examples: List[tf.train.Example], label_feature: str,
                   text_feature: str, info: ModelInfo) -> List[Dict[str, Any]]:
    task = get_task(info.task)
    serve = tf.saved_model.load(model_dir).signatures[SERVING_DEFAULT_SIGNATURE]
    (name,) = serve.structured_input_signature[1]
    words = [[_decoded(w) for w in _values(e.features.feature[text_feature])] for e in examples]
    texts = [" ".join(row) for row in words]
    outputs = {key: value.numpy() for key, value in serve(**{name: tf.constant(texts)}).items()}
    return [{"text": text, **task.show_prediction({key: value[i] for key, value in
                                                  outputs.items()}, info.label_names),
             "true_label": " ".join(f"{word}/{tag}" for word, tag in zip(words[i], true_label(
                 _values(examples[i].features.feature[label_feature]),
                 info.label_names).split(",")) if tag != "O")}
            for i, text in enumerate(texts)]


def write_summary(summary: Dict[str, Any], output: str,
                  pipeline_arguments: Mapping[str, Any]) -> str:
    """Completes `summary` (max_length, predictions on eval samples) and writes it; returns
    the file's path."""
    arguments = {**config.pipeline_defaults(create_pipeline), **pipeline_arguments}
    summary["max_length"] = (summary.get("token_lengths") or {}).get(
        "max_length", arguments["max_length"])  # the number "auto" picked
    model = summary.get("pushed_model") or summary.get("model")
    summary["predictions"] = []
    if model and summary.get("examples"):
        info = ModelInfo.read(model)
        examples = eval_samples(summary["examples"], arguments["label_feature"],
                                num_classes=len(info.label_names) if info else None)
        summary["predictions"] = predict_samples(model, examples, arguments["label_feature"],
                                                 arguments["text_feature"])
    os.makedirs(output, exist_ok=True)
    path = os.path.join(output, SUMMARY_FILE)
    # Whole or not at all: a reader (or a run killed meanwhile) never sees half a file.
    staging = f"{path}.{os.getpid()}.tmp"
    with open(staging, "w") as f:
        json.dump(summary, f, indent=2)
    os.replace(staging, path)
    return path
