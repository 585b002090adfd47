"""Pusher executor whose filesystem pushes never expose a half-copied version.

TF Serving polls a model base path and loads each numbered sub-folder as a version. TFX's
Pusher copies straight into `<base>/<version>`, so a poll during the copy can see an
incomplete SavedModel. Here, on a local or mounted filesystem, the model is copied to a hidden
`<base>/.<version>.incomplete` (TF Serving ignores names that are not numbers) and renamed
into place in one atomic step. On object stores (gs://, s3://), which have no atomic folder
rename, TFX's own order applies: saved_model.pb, which TF Serving needs to load, is written
last.

Before any write, the model's task and label names (contracts.ModelInfo) are compared with
those of the newest complete version at the destination: a model that answers another question
is refused unless `custom_config["allow_label_change"]` is true.
"""
import json
import os
import shutil
import time

from absl import logging
from tfx.components.pusher import executor as pusher_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

from tfx_hf.components import contracts
from tfx_hf.components.input_error import InputError

STAGING_SUFFIX = ".incomplete"
ALLOW_LABEL_CHANGE_KEY = "allow_label_change"  # in the Pusher's custom_config


def _base_directory(exec_properties) -> str:
    """The filesystem base directory (local or not), else ""."""
    destination = pusher_pb2.PushDestination()
    proto_utils.json_to_proto(
        exec_properties.get(standard_component_specs.PUSH_DESTINATION_KEY) or "{}",
        destination)
    if destination.WhichOneof("destination") != "filesystem":
        return ""
    return destination.filesystem.base_directory


def _local_base_directory(exec_properties) -> str:
    """The filesystem base directory when it is local, else ""."""
    base = _base_directory(exec_properties)
    return "" if "://" in base else base


def _allows_label_change(exec_properties) -> bool:
    custom_config = json.loads(
        exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY) or "null") or {}
    return bool(custom_config.get(ALLOW_LABEL_CHANGE_KEY))


def check_same_outputs(model_path: str, base_directory: str, allow_label_change: bool) -> None:
    """Refuses a model whose task or label names differ from those of the newest complete
    version at `base_directory` (models without model_info.json are not compared)."""
    newest = contracts.newest_complete_version(base_directory) if base_directory else None
    if newest is None:
        return
    candidate, current = contracts.ModelInfo.read(model_path), contracts.ModelInfo.read(newest)
    if candidate is None or current is None or candidate.same_outputs(current):
        return
    if allow_label_change:
        logging.warning("Replacing %s (%s) by a model of %s, as allow_label_change asks.",
                        newest, current.describe_outputs(), candidate.describe_outputs())
        return
    raise InputError(
        f"Not pushing: the model ({candidate.describe_outputs()}) would replace {newest} "
        f"({current.describe_outputs()}), and clients would read its label ids as the old "
        "classes. Push to another destination, or pass --allow-label-change (config: "
        "allow_label_change) to replace it.")


def push_atomically(model_path: str, base_directory: str, version: str) -> str:
    """Copies the SavedModel at `model_path` to `<base_directory>/<version>`; returns it."""
    serving_path = os.path.join(base_directory, version)
    if os.path.exists(serving_path):
        logging.info("%s exists already: this version was pushed before.", serving_path)
        return serving_path
    staging = os.path.join(base_directory, f".{version}{STAGING_SUFFIX}")
    shutil.rmtree(staging, ignore_errors=True)  # left by a push that died mid-copy
    shutil.copytree(model_path, staging)
    os.rename(staging, serving_path)
    logging.info("Model written to serving path %s.", serving_path)
    return serving_path


class Executor(pusher_executor.Executor):
    """The standard Pusher executor, with atomic pushes to local model base paths and no push
    over a model with other labels (unless allowed)."""

    def Do(self, input_dict, output_dict, exec_properties):
        if self.CheckBlessing(input_dict):
            check_same_outputs(self.GetModelPath(input_dict), _base_directory(exec_properties),
                               _allows_label_change(exec_properties))
        base_directory = _local_base_directory(exec_properties)
        if not base_directory:
            return super().Do(input_dict, output_dict, exec_properties)
        self._log_startup(input_dict, output_dict, exec_properties)
        model_push = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(model_push)
            return
        model_path = self.GetModelPath(input_dict)
        version = str(int(time.time()))  # TFX's UNIX_TIMESTAMP versioning
        os.makedirs(base_directory, exist_ok=True)
        serving_path = push_atomically(model_path, base_directory, version)
        io_utils.copy_dir(model_path, model_push.uri)  # archived with the artifact, as TFX does
        self._MarkPushed(model_push, pushed_destination=serving_path, pushed_version=version)
