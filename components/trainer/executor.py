"""Trainer executor that hands the run_fn the label names recorded by HFDatasetExampleGen."""
from tfx.components.trainer import executor as trainer_executor
from tfx.types import artifact_utils

from tfx_hf.components.contracts import LABEL_NAMES_PROPERTY

AI_PLATFORM_KEY_PREFIX = "ai_platform_"


class Executor(trainer_executor.GenericExecutor):
    """The standard generic Trainer executor, plus `label_names` in `custom_config`."""

    def _GetFnArgs(self, input_dict, output_dict, exec_properties):
        fn_args = super()._GetFnArgs(input_dict, output_dict, exec_properties)
        # Keys the Vertex AI launcher (tfx_hf.components.vertex_trainer) read: not the task's.
        config = {k: v for k, v in (fn_args.custom_config or {}).items()
                  if not k.startswith(AI_PLATFORM_KEY_PREFIX)}
        if not config.get("label_names") and input_dict.get("examples"):
            examples = artifact_utils.get_single_instance(input_dict["examples"])
            recorded = {}
            if examples.has_custom_property(LABEL_NAMES_PROPERTY):
                recorded = examples.get_json_value_custom_property(LABEL_NAMES_PROPERTY) or {}
            label_feature = config.get("label_feature", "label")
            if label_feature in recorded:
                config["label_names"] = list(recorded[label_feature])
        fn_args.custom_config = config
        return fn_args
