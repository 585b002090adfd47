"""HFHubPusher: pushes a blessed model to a 🤗 Hub repository, with a model card."""
from typing import Optional

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import BaseChannel, channel, component_spec, standard_artifacts
from tfx.types.standard_component_specs import MODEL_BLESSING_KEY, MODEL_KEY, PUSHED_MODEL_KEY

from tfx_hf.components.hf_hub_pusher import executor, hub_commit
from tfx_hf.components.hf_hub_pusher.executor import MODEL_EVALUATION_KEY, TOKENIZER_PARITY_KEY
from tfx_hf.components.hf_hub_pusher.hub_token import DEFAULT_TOKEN_ENV
from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity


class HFHubPusherSpec(component_spec.ComponentSpec):
    # Stored in MLMD in clear: where the token is (a variable name, a file path), never the
    # token.
    PARAMETERS = {
        executor.REPO_ID_KEY: component_spec.ExecutionParameter(type=str),
        executor.PRIVATE_KEY: component_spec.ExecutionParameter(type=int),
        executor.BRANCH_KEY: component_spec.ExecutionParameter(type=str),
        executor.TAG_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.PUSH_SAVED_MODEL_KEY: component_spec.ExecutionParameter(type=int),
        executor.TOKEN_ENV_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.TOKEN_FILE_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.ENDPOINT_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.DATASET_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.CHECKPOINT_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.EVAL_SPLIT_KEY: component_spec.ExecutionParameter(type=str, optional=True),
        executor.ALLOW_LABEL_CHANGE_KEY: component_spec.ExecutionParameter(type=int,
                                                                           optional=True),
    }
    INPUTS = {
        MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        MODEL_BLESSING_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.ModelBlessing, optional=True),
        MODEL_EVALUATION_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.ModelEvaluation, optional=True),
        TOKENIZER_PARITY_KEY: component_spec.ChannelParameter(
            type=TokenizerParity, optional=True),
    }
    OUTPUTS = {PUSHED_MODEL_KEY: component_spec.ChannelParameter(
        type=standard_artifacts.PushedModel)}


class HFHubPusher(base_component.BaseComponent):
    """Pushes an HFTrainer model to the Hub repository `repo_id` ("owner/name") if
    `model_blessing` blessed it (without a blessing, every model is pushed).

    One commit holds the 🤗 model and tokenizer files of `Format-HF/`, the end-to-end
    SavedModel under `saved_model/` (unless `push_saved_model=False`) and a model card
    (README.md) with the TFMA metrics of `model_evaluation`, the `dataset` and `checkpoint`
    the model came from, the tensorflow-text version the SavedModel needs, and the tokenizer
    parity certificate of `tokenizer_parity` (TokenizerParityCheck) when given.

    The commit goes to `branch` (created from main if missing) and is tagged `tag`; both are
    templates where `{version}` is the push time in seconds (as TFX's Pusher versions models)
    and `{model_id}` the Model artifact's MLMD id: the default, branch "main" and tag
    "v{version}", keeps every pushed version loadable by its tag. The repository is created
    if missing, private unless `private=False`.

    The model is not pushed over a newer one of another task or other label names (the
    head of `branch`, else of main: see hub_destination.py) unless `allow_label_change`.

    The token is read at run time from the file `token_file` (a mounted secret) if given,
    else from the environment variable `token_env` (default HF_TOKEN); `endpoint` defaults to
    $HF_ENDPOINT, else https://huggingface.co.

    The PushedModel artifact holds the pushed files and records `pushed` (1/0),
    `pushed_destination` (the repository's URL at the tag, or the branch), `pushed_version`,
    `repo_id`, `revision`, `tag`, `commit_sha`, `commit_url`, or `not_pushed_reason`.
    """

    SPEC_CLASS = HFHubPusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: BaseChannel,
        repo_id: str,
        *,
        model_blessing: Optional[BaseChannel] = None,
        model_evaluation: Optional[BaseChannel] = None,
        tokenizer_parity: Optional[BaseChannel] = None,
        private: bool = True,
        branch: str = hub_commit.DEFAULT_BRANCH,
        tag: Optional[str] = executor.DEFAULT_TAG,
        push_saved_model: bool = True,
        token_env: str = DEFAULT_TOKEN_ENV,
        token_file: Optional[str] = None,
        endpoint: Optional[str] = None,
        dataset: Optional[str] = None,
        checkpoint: Optional[str] = None,
        eval_split: str = "eval",
        allow_label_change: bool = False,
    ):
        executor.check_repo_id(repo_id)
        executor.check_revision_templates(branch, tag)
        spec = HFHubPusherSpec(
            repo_id=repo_id, private=int(bool(private)), branch=branch, tag=tag or None,
            push_saved_model=int(bool(push_saved_model)), token_env=token_env,
            token_file=token_file, endpoint=endpoint, dataset=dataset, checkpoint=checkpoint,
            eval_split=eval_split,
            allow_label_change=1 if allow_label_change else None,
            model=model, model_blessing=model_blessing, model_evaluation=model_evaluation,
            tokenizer_parity=tokenizer_parity,
            pushed_model=channel.Channel(type=standard_artifacts.PushedModel))
        super().__init__(spec=spec)
