"""Evaluator executor that completes the per-class metrics with the model's classes."""
import json
import os

import tensorflow as tf
import tensorflow_model_analysis as tfma
from google.protobuf import json_format
from tfx.components.evaluator import executor as evaluator_executor
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import path_utils

from tfx_hf.components.evaluation.eval_config import with_class_ids

MODEL_INFO = os.path.join("assets.extra", "model_info.json")


def model_label_names(model_uri: str) -> list:
    """The class names the exported serving model predicts (empty for regression)."""
    path = os.path.join(path_utils.serving_model_path(model_uri), MODEL_INFO)
    if not tf.io.gfile.exists(path):
        raise ValueError(f"{path} is missing: evaluate a model exported by HFTrainer, or build "
                         "the eval_config with num_classes.")
    with tf.io.gfile.GFile(path) as f:
        return json.load(f).get("label_names") or []


class Executor(evaluator_executor.Executor):
    """The standard Evaluator executor; `eval_config` binarizations left without class ids
    (see `eval_config(num_classes=None)`) get every class of the candidate model."""

    def Do(self, input_dict, output_dict, exec_properties):
        key = standard_component_specs.EVAL_CONFIG_KEY
        if exec_properties.get(key) and input_dict.get(standard_component_specs.MODEL_KEY):
            model = artifact_utils.get_single_instance(
                input_dict[standard_component_specs.MODEL_KEY])
            config = json_format.Parse(exec_properties[key], tfma.EvalConfig())
            completed = with_class_ids(config, len(model_label_names(model.uri)))
            exec_properties = {**exec_properties,
                               key: json_format.MessageToJson(completed, sort_keys=True)}
        super().Do(input_dict, output_dict, exec_properties)
