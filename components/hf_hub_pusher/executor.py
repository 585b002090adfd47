"""HFHubPusher executor: checks the blessing, stages the files, makes one Hub commit.

The standard Pusher executor with another destination: its blessing check and its `pushed`,
`pushed_destination`, `pushed_version` properties are TFX's own (as TFX's Vertex AI and
BigQuery pushers reuse them). Everything the commit holds is first staged in a local folder
(the model artifact may be on gs://, and `upload_folder` reads local files), pushed to the Hub
(hub_commit.py), then copied into the PushedModel artifact, as TFX's Pusher copies what it
pushed.
"""
import json
import os
import string
import tempfile
import time
from typing import Dict, Optional
from urllib.parse import quote

import tensorflow as tf
from absl import logging
from huggingface_hub.utils import HFValidationError, validate_repo_id
from tfx import version as tfx_version
from tfx.components.pusher import executor as pusher_executor
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils

from tfx_hf.components import contracts
from tfx_hf.components.evaluation import evaluation_results
from tfx_hf.components.export import requirements
from tfx_hf.components.hf_hub_pusher import hub_commit, hub_destination, hub_token, model_card
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.registry import get_task
from tfx_hf.components.tokenizer_parity.certificate import ParityCertificate

# The input that standard components have no key for (the Evaluator's output is "evaluation").
MODEL_EVALUATION_KEY = "model_evaluation"
TOKENIZER_PARITY_KEY = "tokenizer_parity"  # TokenizerParityCheck's certificate, for the card

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
ALLOW_LABEL_CHANGE_KEY = "allow_label_change"

DEFAULT_TAG = "v{version}"
DEFAULT_ENDPOINT = "https://huggingface.co"
TEMPLATE_FIELDS = ("version", "model_id")

# PushedModel custom properties beside the standard Pusher's.
REPO_ID_PROPERTY = "repo_id"
REVISION_PROPERTY = "revision"
TAG_PROPERTY = "tag"
COMMIT_SHA_PROPERTY = "commit_sha"
COMMIT_URL_PROPERTY = "commit_url"
NOT_PUSHED_REASON_PROPERTY = "not_pushed_reason"


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
        raise InputError(f"repo_id={repo_id!r} is not a Hub model repository id: {problem}. "
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
            raise InputError(f"{name}={template!r}: it must be a non-empty name whose only "
                             f"fields are {{version}} and {{model_id}} (got {sorted(unknown)}).")


def _read_json(path: str) -> Dict:
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


class Executor(pusher_executor.Executor):
    """Pushes a blessed HFTrainer model to the Hub; records why when it does not."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        repo_id = check_repo_id(exec_properties[REPO_ID_KEY])
        branch_template = exec_properties.get(BRANCH_KEY) or hub_commit.DEFAULT_BRANCH
        tag_template = exec_properties.get(TAG_KEY) or None
        check_revision_templates(branch_template, tag_template)
        model = artifact_utils.get_single_instance(
            input_dict[standard_component_specs.MODEL_KEY])
        pushed_model = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        pushed_model.set_string_custom_property(REPO_ID_PROPERTY, repo_id)
        if not self.CheckBlessing(input_dict):
            self._mark_not_blessed(input_dict, pushed_model, repo_id)
            return

        serving_dir = self.GetModelPath(input_dict)
        push_saved_model = bool(exec_properties.get(PUSH_SAVED_MODEL_KEY, 1))
        _check_model_files(model.uri, serving_dir, push_saved_model)
        # Read before any work is done, so that a missing token fails fast.
        token = hub_token.read_token(exec_properties.get(TOKEN_ENV_KEY),
                                     exec_properties.get(TOKEN_FILE_KEY))
        endpoint = (exec_properties.get(ENDPOINT_KEY) or os.environ.get(
            hub_commit.ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT).rstrip("/")

        version = str(int(time.time()))
        fields = {"version": version, "model_id": str(model.id)}
        branch = branch_template.format(**fields)
        tag = tag_template.format(**fields) if tag_template else None
        hub_destination.check_same_outputs(
            _model_outputs(model.uri, serving_dir), endpoint, repo_id, branch, token,
            bool(exec_properties.get(ALLOW_LABEL_CHANGE_KEY)))
        facts = self._card_facts(input_dict, exec_properties, repo_id, tag or branch,
                                 serving_dir, push_saved_model, model, version)
        with tempfile.TemporaryDirectory(prefix="hf_hub_push_") as temp_dir:
            staging = _stage(temp_dir, model.uri, serving_dir if push_saved_model else None,
                             model_card.build_model_card(facts))
            files = sum(len(names) for _, _, names in os.walk(staging))
            logging.info("Pushing %d files to %s/%s at revision %r.", files, endpoint, repo_id,
                         branch)
            commit = hub_commit.push(hub_commit.PushRequest(
                folder=staging, endpoint=endpoint, repo_id=repo_id, branch=branch, tag=tag,
                private=bool(exec_properties.get(PRIVATE_KEY, 1)),
                message=f"Push model version {version} (TFX Model artifact {model.id}) with "
                        "HFHubPusher",
                description=facts.provenance), token)
            io_utils.copy_dir(staging, pushed_model.uri)

        destination = f"{endpoint}/{repo_id}/tree/{quote(tag or branch, safe='')}"
        self._MarkPushed(pushed_model, pushed_destination=destination, pushed_version=version)
        pushed_model.set_string_custom_property(REVISION_PROPERTY, branch)
        pushed_model.set_string_custom_property(TAG_PROPERTY, tag or "")
        pushed_model.set_string_custom_property(COMMIT_SHA_PROPERTY, commit.oid)
        pushed_model.set_string_custom_property(COMMIT_URL_PROPERTY, commit.commit_url)
        logging.info("Pushed model %s to %s (commit %s).", model.uri, destination, commit.oid)

    def _mark_not_blessed(self, input_dict, pushed_model, repo_id: str) -> None:
        blessing = artifact_utils.get_single_instance(
            input_dict[standard_component_specs.MODEL_BLESSING_KEY])
        reason = (f"model_blessing {blessing.uri} is not blessed (blessed="
                  f"{blessing.get_int_custom_property('blessed')}): the Evaluator found the "
                  "model below its thresholds or worse than the baseline.")
        logging.info("Not pushing to %s: %s", repo_id, reason)
        self._MarkNotPushed(pushed_model)
        pushed_model.set_string_custom_property(NOT_PUSHED_REASON_PROPERTY, reason)

    @staticmethod
    def _card_facts(input_dict, exec_properties, repo_id: str, revision: str,
                    serving_dir: str, push_saved_model: bool, model,
                    version: str) -> model_card.CardFacts:
        info = contracts.ModelInfo.read(serving_dir)
        pins = requirements.read_requirements(serving_dir) or {}
        metrics = {}
        evaluations = input_dict.get(MODEL_EVALUATION_KEY)
        if evaluations:
            metrics = evaluation_results.overall_metrics(
                artifact_utils.get_single_instance(evaluations).uri)
        parities = input_dict.get(TOKENIZER_PARITY_KEY)
        parity = ParityCertificate.read(artifact_utils.get_single_instance(parities).uri) \
            if parities else None
        dataset = exec_properties.get(DATASET_KEY) or None
        checkpoint = exec_properties.get(CHECKPOINT_KEY) or None
        if checkpoint is None:  # save_pretrained records what from_pretrained was given
            checkpoint = _read_json(os.path.join(contracts.hf_format_dir(model.uri),
                                                 "config.json")).get("_name_or_path") or None
        provenance = "\n".join(line for line in (
            f"Pushed by the HFHubPusher component of tfx-hf (TFX {tfx_version.__version__}) "
            "after the model was trained by HFTrainer and evaluated with TFMA.",
            "",
            f"- Model version: `{version}` (TFX Model artifact id {model.id})",
            f"- Dataset: `{model_card.display_name(dataset)}`" if dataset else None,
            f"- Checkpoint: `{model_card.display_name(checkpoint)}`" if checkpoint else None,
        ) if line is not None)
        # A SavedModel not exported by tfx-hf has no ModelInfo: the card's defaults stand.
        from_info = {} if info is None else {name: value for name, value in (
            ("task_description", get_task(info.task).description),
            ("text_features", info.text_features),
            ("label_names", info.label_names)) if value}
        return model_card.CardFacts(
            repo_id=repo_id, revision=revision, dataset=dataset, checkpoint=checkpoint,
            metrics=metrics, eval_split=exec_properties.get(EVAL_SPLIT_KEY) or "eval",
            tensorflow_version=pins.get("tensorflow"),
            tensorflow_text_version=pins.get("tensorflow-text")
            or (info.tensorflow_text_version if info else None),
            has_saved_model=push_saved_model, provenance=provenance,
            tokenizer_parity=parity.summary() if parity else None, **from_info)


def _model_outputs(model_uri: str, serving_dir: str) -> hub_destination.Outputs:
    """The pushed model's task and label names: its ModelInfo, else its 🤗 config.json."""
    info = contracts.ModelInfo.read(serving_dir) if tf.io.gfile.exists(serving_dir) else None
    if info is not None:
        return hub_destination.outputs_from_info(info)
    return hub_destination.outputs_from_config(
        _read_json(os.path.join(contracts.hf_format_dir(model_uri), "config.json")))


def _check_model_files(model_uri: str, serving_dir: str, push_saved_model: bool) -> None:
    hf_dir = contracts.hf_format_dir(model_uri)
    if not tf.io.gfile.exists(os.path.join(hf_dir, "config.json")):
        raise InputError(f"Model artifact {model_uri} has no {contracts.HF_FORMAT_DIR}/"
                         "config.json: HFHubPusher pushes models trained by HFTrainer, which "
                         f"writes the 🤗 model to {contracts.HF_FORMAT_DIR}/.")
    if push_saved_model and not tf.io.gfile.exists(serving_dir):
        raise InputError(f"Model artifact {model_uri} has no SavedModel at {serving_dir}; "
                         "set push_saved_model=False to push the 🤗 files only.")


def _stage(temp_dir: str, model_uri: str, serving_dir: Optional[str], card: str) -> str:
    """The repository's files in a local folder: the 🤗 files, the SavedModel under
    `saved_model/` (when given) and the card as README.md."""
    staging = os.path.join(temp_dir, "repo")  # copy_dir replaces its destination
    io_utils.copy_dir(contracts.hf_format_dir(model_uri), staging)
    if serving_dir:
        io_utils.copy_dir(serving_dir, os.path.join(staging, model_card.SAVED_MODEL_DIR))
    with open(os.path.join(staging, "README.md"), "w", encoding="utf-8") as f:
        f.write(card)
    return staging
