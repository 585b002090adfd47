"""Evaluator executor: per-class metrics for the model's classes, and the first model's
blessing when the only thresholds compare with a baseline."""
import os
from typing import Optional

import tensorflow_model_analysis as tfma
from absl import logging
from google.protobuf import json_format
from tfx.components.evaluator import executor as evaluator_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils

from tfx_hf.components.contracts import ModelInfo, serving_model_dir
from tfx_hf.components.evaluation.entity_metrics import with_label_names
from tfx_hf.components.evaluation.eval_config import with_class_ids
from tfx_hf.components.input_error import InputError
from tfx_hf.components.tokenizer_parity.certificate import ParityCertificate

BLESSED_KEY = "blessed"  # TFX Evaluator's blessing property and file
BLESSED_FILE = "BLESSED"
NOT_BLESSED_FILE = "NOT_BLESSED"
RUBBER_STAMP_KEY = "rubber_stamp"
# HFEvaluator's additions to the standard spec (component.py).
TOKENIZER_PARITY_KEY = "tokenizer_parity"
MIN_TOKENIZER_EXACT_ROW_RATE_KEY = "min_tokenizer_exact_row_rate"
NOT_BLESSED_REASON_KEY = "not_blessed_reason"  # on the blessing, when parity withheld it


def tokenizer_parity_failure(found: Optional[ParityCertificate],
                             min_exact_row_rate: Optional[float]) -> Optional[str]:
    """Why a model trained despite a tokenizer mismatch may not be blessed; None when it may
    (no certificate, no difference, or a rate that meets the threshold)."""
    if found is None or found.identical:
        return None
    rate = found.exact_row_rate or 0.0
    if min_exact_row_rate is None:
        return (f"tokenizer parity: {found.exact_rows} of {found.rows_compared} rows exact "
                f"(rate {rate:.4f}) and the mismatch was allowed for training, but the eval "
                "thresholds have no tokenizer_exact_row_rate: add one (thresholds: "
                "{tokenizer_exact_row_rate: RATE}) to let such a model be blessed")
    if rate < min_exact_row_rate:
        return (f"tokenizer_exact_row_rate {rate:.4f} (needs >= {min_exact_row_rate}): "
                f"{found.exact_rows} of {found.rows_compared} rows exact")
    return None


def withhold_blessing(blessing, reason: str) -> None:
    """Turns a blessing into a refusal that says why (the pushers read `blessed`)."""
    blessed_file = os.path.join(blessing.uri, BLESSED_FILE)
    if fileio.exists(blessed_file):
        fileio.remove(blessed_file)
    io_utils.write_string_file(os.path.join(blessing.uri, NOT_BLESSED_FILE), "")
    blessing.set_int_custom_property(BLESSED_KEY, 0)
    blessing.set_string_custom_property(NOT_BLESSED_REASON_KEY, reason)
    logging.warning("Not blessing the model: %s", reason)


def model_label_names(model_uri: str) -> Optional[list]:
    """The class names an HFTrainer model predicts (empty for regression); None for other
    models, whose eval_config must name its classes itself (`num_classes`)."""
    info = ModelInfo.read(serving_model_dir(model_uri))
    return None if info is None else list(info.label_names or [])


def check_comparable(model_uri: str, baseline_uri: str) -> None:
    """A candidate is only compared with a baseline that answers the same question: the same
    task and label names. Another dataset written to the same output would otherwise be judged
    against the old model's metrics on data it was never trained for."""
    candidate = ModelInfo.read(serving_model_dir(model_uri))
    baseline = ModelInfo.read(serving_model_dir(baseline_uri))
    if candidate is None or baseline is None or candidate.same_outputs(baseline):
        return
    raise InputError(
        f"The new model ({candidate.describe_outputs()}) cannot be compared with the latest "
        f"blessed model {baseline_uri} ({baseline.describe_outputs()}): give this dataset its "
        "own output (--output) and push destination, or pass --allow-label-change (config: "
        "allow_label_change) to judge it without the old model and replace it.")


def _has_value_threshold(config: tfma.EvalConfig) -> bool:
    return any(threshold.HasField("value_threshold")
               for spec in config.metrics_specs for metric in spec.metrics
               for threshold in [metric.threshold] + [t.threshold for t in
                                                      metric.per_slice_thresholds])


class Executor(evaluator_executor.Executor):
    """The standard Evaluator executor, plus:

    - `eval_config` binarizations left without class ids (see `eval_config(num_classes=None)`)
      get every class of the candidate model, and entity metrics left without tag names
      (`entity_metrics_spec(None, ...)`) its tag names;
    - a baseline of another task or other label names stops the run before evaluating
      (`check_comparable`);
    - the first model (no blessed baseline yet) of a config whose only thresholds compare with
      the baseline is blessed as TFMA's rubber stamp intends: TFX drops the change thresholds
      and, left with none, would write no blessing at all, so nothing could ever be pushed.
    """

    def Do(self, input_dict, output_dict, exec_properties):
        input_dict, exec_properties = dict(input_dict), dict(exec_properties)
        parities = input_dict.pop(TOKENIZER_PARITY_KEY, None)
        min_rate = exec_properties.pop(MIN_TOKENIZER_EXACT_ROW_RATE_KEY, None)
        self._evaluate(input_dict, output_dict, exec_properties)
        blessing = output_dict.get(standard_component_specs.BLESSING_KEY)
        if not parities or not blessing:
            return
        blessing = artifact_utils.get_single_instance(blessing)
        reason = tokenizer_parity_failure(
            ParityCertificate.read(artifact_utils.get_single_instance(parities).uri), min_rate)
        if reason and blessing.get_int_custom_property(BLESSED_KEY) == 1:
            withhold_blessing(blessing, reason)

    def _evaluate(self, input_dict, output_dict, exec_properties):
        key = standard_component_specs.EVAL_CONFIG_KEY
        if not (exec_properties.get(key) and input_dict.get(standard_component_specs.MODEL_KEY)):
            return super().Do(input_dict, output_dict, exec_properties)
        model = artifact_utils.get_single_instance(input_dict[standard_component_specs.MODEL_KEY])
        if input_dict.get(standard_component_specs.BASELINE_MODEL_KEY):
            check_comparable(model.uri, artifact_utils.get_single_instance(
                input_dict[standard_component_specs.BASELINE_MODEL_KEY]).uri)
        config = json_format.Parse(exec_properties[key], tfma.EvalConfig())
        label_names = model_label_names(model.uri)
        if label_names is not None:
            config = with_class_ids(config, len(label_names))
            if label_names:  # entity metrics left without tag names get the model's
                config = with_label_names(config, label_names)
        super().Do(input_dict, output_dict,
                   {**exec_properties, key: json_format.MessageToJson(config, sort_keys=True)})

        blessing = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.BLESSING_KEY])
        first_model = not input_dict.get(standard_component_specs.BASELINE_MODEL_KEY)
        if (first_model and not blessing.has_custom_property(BLESSED_KEY)
                and tfma.utils.has_change_threshold(config)
                and not _has_value_threshold(config)):
            logging.info("No blessed baseline yet and only baseline thresholds: blessing the "
                         "first model (rubber stamp).")
            io_utils.write_string_file(os.path.join(blessing.uri, BLESSED_FILE), "")
            blessing.set_int_custom_property(BLESSED_KEY, 1)
            blessing.set_int_custom_property(RUBBER_STAMP_KEY, 1)
            blessing.set_string_custom_property("current_model", model.uri)
            blessing.set_int_custom_property("current_model_id", model.id)
