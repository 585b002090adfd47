"""HFHubPusher executor: checks the blessing, stages the files, makes one Hub commit.

Everything the commit holds is first staged in a local folder (the model artifact may be on
gs://, and `upload_folder` reads local files), pushed with `HfApi`, then copied into the
PushedModel artifact, as TFX's Pusher copies what it pushed.
"""
import contextlib
import json
import os
import string
import tempfile
import time
from importlib import metadata
from typing import Dict, Optional
from urllib.parse import quote

import tensorflow as tf
from absl import logging
from huggingface_hub import HfApi, constants
from huggingface_hub.utils import HFValidationError, validate_repo_id
from tfx.components.util import model_utils
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from tfx_hf.components.evaluation import evaluation_results
from tfx_hf.components.hf_hub_pusher import hub_token, model_card
from tfx_hf.components.trainer.run_fn import HF_FORMAT_DIR

# Input and output keys, named as in TFX's Pusher and Evaluator.
MODEL_KEY = "model"
MODEL_BLESSING_KEY = "model_blessing"
MODEL_EVALUATION_KEY = "model_evaluation"
PUSHED_MODEL_KEY = "pushed_model"

# Exec property names (stored in MLMD in clear: never a token).
REPO_ID_KEY = "repo_id"
PRIVATE_KEY = "private"
BRANCH_KEY = "branch"
TAG_KEY = "tag"
PUSH_SAVED_MODEL_KEY = "push_saved_model"
TOKEN_ENV_KEY = "token_env"
TOKEN_FILE_KEY = "token_file"
ENDPOINT_KEY = "endpoint"
DATASET_KEY = "dataset"
CHECKPOINT_KEY = "checkpoint"
EVAL_SPLIT_KEY = "eval_split"

DEFAULT_BRANCH = "main"
DEFAULT_TAG = "v{version}"
DEFAULT_ENDPOINT = "https://huggingface.co"
TEMPLATE_FIELDS = ("version", "model_id")

# PushedModel custom properties; the first three as TFX's Pusher writes them.
PUSHED_PROPERTY = "pushed"
PUSHED_DESTINATION_PROPERTY = "pushed_destination"
PUSHED_VERSION_PROPERTY = "pushed_version"
REPO_ID_PROPERTY = "repo_id"
REVISION_PROPERTY = "revision"
TAG_PROPERTY = "tag"
COMMIT_SHA_PROPERTY = "commit_sha"
COMMIT_URL_PROPERTY = "commit_url"
NOT_PUSHED_REASON_PROPERTY = "not_pushed_reason"

MODEL_INFO_FILE = "model_info.json"  # in the SavedModel's assets.extra, see export_serving_model
REQUIREMENTS_FILE = "requirements.txt"


def check_repo_id(repo_id: str) -> str:
    """`repo_id` if it names a Hub repository as "owner/name"; a ValueError saying what a
    valid id looks like otherwise."""
    problem = None
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        problem = "it must be \"owner/name\" (a user or organization, then the repository)"
    else:
        try:
            validate_repo_id(repo_id)
        except HFValidationError as e:
            problem = str(e)
    if problem:
        raise ValueError(f"repo_id={repo_id!r} is not a Hub model repository id: {problem}. "
                         "Use e.g. repo_id=\"my-org/my-classifier\" (letters, digits, '-', '_', "
                         "'.'; at most 96 characters).")
    return repo_id


def check_revision_templates(branch: str, tag: Optional[str]) -> None:
    """Fails early on a branch or tag template with a field other than {version}/{model_id}."""
    for name, template in (("branch", branch), ("tag", tag)):
        if template is None:
            continue
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        unknown = fields - set(TEMPLATE_FIELDS)
        if unknown or not template.strip():
            raise ValueError(f"{name}={template!r}: it must be a non-empty name whose only "
                             f"fields are {{version}} and {{model_id}} (got {sorted(unknown)}).")


def _read_json(path: str) -> Dict:
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def _requirement_versions(path: str) -> Dict[str, str]:
    """`{"tensorflow-text": "2.16.1", ...}` from a pinned requirements.txt."""
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as f:
        pins = [line.strip().split("==", 1) for line in f if "==" in line]
    return {name.strip().lower(): version.strip() for name, version in pins}


class Executor(base_executor.BaseExecutor):
    """Pushes a blessed HFTrainer model to the Hub; records why when it does not."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        repo_id = check_repo_id(exec_properties[REPO_ID_KEY])
        branch_template = exec_properties.get(BRANCH_KEY) or DEFAULT_BRANCH
        tag_template = exec_properties.get(TAG_KEY) or None
        check_revision_templates(branch_template, tag_template)
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        pushed_model = artifact_utils.get_single_instance(output_dict[PUSHED_MODEL_KEY])
        pushed_model.set_string_custom_property(REPO_ID_PROPERTY, repo_id)

        reason = self._reason_not_to_push(input_dict)
        if reason:
            logging.info("Not pushing model %s to %s: %s", model.uri, repo_id, reason)
            pushed_model.set_int_custom_property(PUSHED_PROPERTY, 0)
            pushed_model.set_string_custom_property(NOT_PUSHED_REASON_PROPERTY, reason)
            return

        hf_dir = os.path.join(model.uri, HF_FORMAT_DIR)
        serving_dir = path_utils.serving_model_path(
            model.uri, path_utils.is_old_model_artifact(model))
        if not tf.io.gfile.exists(os.path.join(hf_dir, "config.json")):
            raise ValueError(f"Model artifact {model.uri} has no {HF_FORMAT_DIR}/config.json: "
                             "HFHubPusher pushes models trained by HFTrainer, which writes the "
                             f"🤗 model to {HF_FORMAT_DIR}/.")
        push_saved_model = bool(exec_properties.get(PUSH_SAVED_MODEL_KEY, 1))
        if push_saved_model and not tf.io.gfile.exists(serving_dir):
            raise ValueError(f"Model artifact {model.uri} has no SavedModel at {serving_dir}; "
                             "set push_saved_model=False to push the 🤗 files only.")
        # Read before any work is done, so that a missing token fails fast.
        token = hub_token.read_token(exec_properties.get(TOKEN_ENV_KEY),
                                     exec_properties.get(TOKEN_FILE_KEY))
        endpoint = (exec_properties.get(ENDPOINT_KEY) or os.environ.get("HF_ENDPOINT")
                    or DEFAULT_ENDPOINT).rstrip("/")

        version = str(int(time.time()))
        fields = {"version": version, "model_id": str(model.id)}
        branch = branch_template.format(**fields)
        tag = tag_template.format(**fields) if tag_template else None
        facts = self._card_facts(input_dict, exec_properties, repo_id, tag or branch,
                                 serving_dir, push_saved_model, model, version)

        with tempfile.TemporaryDirectory(prefix="hf_hub_push_") as temp_dir:
            staging = os.path.join(temp_dir, "repo")  # copy_dir replaces its destination
            io_utils.copy_dir(hf_dir, staging)
            if push_saved_model:
                io_utils.copy_dir(serving_dir, os.path.join(staging, model_card.SAVED_MODEL_DIR))
            with open(os.path.join(staging, "README.md"), "w", encoding="utf-8") as f:
                f.write(model_card.build_model_card(facts))
            commit = self._push(staging, repo_id, branch, tag, token, endpoint,
                                private=bool(exec_properties.get(PRIVATE_KEY, 1)),
                                message=f"Push model version {version} (TFX Model artifact "
                                        f"{model.id}) with HFHubPusher",
                                description=facts.provenance)
            io_utils.copy_dir(staging, pushed_model.uri)

        destination = f"{endpoint}/{repo_id}/tree/{quote(tag or branch, safe='')}"
        pushed_model.set_int_custom_property(PUSHED_PROPERTY, 1)
        pushed_model.set_string_custom_property(PUSHED_DESTINATION_PROPERTY, destination)
        pushed_model.set_string_custom_property(PUSHED_VERSION_PROPERTY, version)
        pushed_model.set_string_custom_property(REVISION_PROPERTY, branch)
        pushed_model.set_string_custom_property(TAG_PROPERTY, tag or "")
        pushed_model.set_string_custom_property(COMMIT_SHA_PROPERTY, commit.oid)
        pushed_model.set_string_custom_property(COMMIT_URL_PROPERTY, commit.commit_url)
        logging.info("Pushed model %s to %s (commit %s).", model.uri, destination, commit.oid)

    @staticmethod
    def _reason_not_to_push(input_dict) -> Optional[str]:
        blessings = input_dict.get(MODEL_BLESSING_KEY)
        if not blessings:
            return None
        blessing = artifact_utils.get_single_instance(blessings)
        if model_utils.is_model_blessed(blessing):
            return None
        return (f"model_blessing {blessing.uri} is not blessed (blessed="
                f"{blessing.get_int_custom_property('blessed')}): the Evaluator found the model "
                "below its thresholds or worse than the baseline.")

    @staticmethod
    def _card_facts(input_dict, exec_properties, repo_id: str, revision: str,
                    serving_dir: str, push_saved_model: bool, model,
                    version: str) -> model_card.CardFacts:
        extra = os.path.join(serving_dir, "assets.extra")
        info = _read_json(os.path.join(extra, MODEL_INFO_FILE))
        pins = _requirement_versions(os.path.join(extra, REQUIREMENTS_FILE))
        metrics = {}
        evaluations = input_dict.get(MODEL_EVALUATION_KEY)
        if evaluations:
            metrics = evaluation_results.overall_metrics(
                artifact_utils.get_single_instance(evaluations).uri)
        dataset = exec_properties.get(DATASET_KEY) or None
        checkpoint = exec_properties.get(CHECKPOINT_KEY) or None
        if checkpoint is None:  # save_pretrained records what from_pretrained was given
            checkpoint = _read_json(os.path.join(model.uri, HF_FORMAT_DIR, "config.json")).get(
                "_name_or_path") or None
        provenance = "\n".join(line for line in (
            "Pushed by the HFHubPusher component of tfx-hf (TFX "
            f"{_version_of('tfx')}) after the model was trained by HFTrainer and evaluated "
            "with TFMA.",
            "",
            f"- Model version: `{version}` (TFX Model artifact id {model.id})",
            f"- Dataset: `{model_card.display_name(dataset)}`" if dataset else None,
            f"- Checkpoint: `{model_card.display_name(checkpoint)}`" if checkpoint else None,
        ) if line is not None)
        return model_card.CardFacts(
            repo_id=repo_id, revision=revision, dataset=dataset, checkpoint=checkpoint,
            metrics=metrics, eval_split=exec_properties.get(EVAL_SPLIT_KEY) or "eval",
            task=info.get("task", "single_label_classification"),
            text_features=info.get("text_features") or ["text"],
            label_names=info.get("label_names") or [],
            tensorflow_version=pins.get("tensorflow"),
            tensorflow_text_version=pins.get("tensorflow-text")
            or info.get("tensorflow_text_version"),
            has_saved_model=push_saved_model, provenance=provenance)

    @staticmethod
    def _push(folder: str, repo_id: str, branch: str, tag: Optional[str], token: str,
              endpoint: str, private: bool, message: str, description: str):
        api = HfApi(endpoint=endpoint, token=token)
        with _default_endpoint(endpoint):
            api.create_repo(repo_id, private=private, exist_ok=True)
            if branch != DEFAULT_BRANCH:
                api.create_branch(repo_id, branch=branch, exist_ok=True)
            files = sum(len(names) for _, _, names in os.walk(folder))
            logging.info("Pushing %d files to %s/%s at revision %r.", files, endpoint, repo_id,
                         branch)
            commit = api.upload_folder(repo_id=repo_id, folder_path=folder, revision=branch,
                                       commit_message=message, commit_description=description)
            if tag:
                # On the commit itself, not on the branch head another push may have moved.
                api.create_tag(repo_id, tag=tag, revision=commit.oid, tag_message=message)
        return commit


@contextlib.contextmanager
def _default_endpoint(endpoint: str):
    """Makes `endpoint` huggingface_hub's default while pushing: `CommitInfo` parses the
    commit URL the server returns against `constants.ENDPOINT` (read from HF_ENDPOINT once, at
    import), whatever endpoint the HfApi was given, and fails on any other host's URL."""
    saved, constants.ENDPOINT = constants.ENDPOINT, endpoint
    try:
        yield
    finally:
        constants.ENDPOINT = saved


def _version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
