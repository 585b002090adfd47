"""Trainer executor that hands the run_fn the label names recorded by HFDatasetExampleGen, and
the backup folder a rerun of the same training resumes from."""
from absl import logging
from tfx.components.trainer import executor as trainer_executor
from tfx.types import artifact_utils, standard_component_specs

from tfx_hf.components.contracts import LABEL_NAMES_PROPERTY
from tfx_hf.components.trainer import resume

AI_PLATFORM_KEY_PREFIX = "ai_platform_"


class Executor(trainer_executor.GenericExecutor):
    """The standard generic Trainer executor, plus `label_names` and `backup_dir` in
    `custom_config`."""

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
        if not config.get("backup_dir"):
            location = self._resume_backup_dir(input_dict, output_dict, exec_properties)
            if location:
                config["backup_dir"] = location
        fn_args.custom_config = config
        return fn_args

    def _resume_backup_dir(self, input_dict, output_dict, exec_properties):
        """resume.backup_dir of this training when run by an orchestrator (which names the
        pipeline and the node); None otherwise (run_fn then keeps its backup in the
        execution's model_run folder)."""
        context = self._context
        if context is None or not context.pipeline_info or not context.pipeline_node:
            return None
        fingerprint = resume.training_fingerprint(
            context.pipeline_info.id, context.pipeline_node.node_info.id, input_dict,
            exec_properties)
        model = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.MODEL_KEY])
        location = resume.backup_dir(model.uri, fingerprint)
        logging.info("Training backups go to %s: a rerun of this training resumes from there.",
                     location)
        return location
