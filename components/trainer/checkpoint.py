"""Loading a 🤗 checkpoint safely: no remote code, and no unpickling unless asked."""
import json
import os
from typing import Any, Dict, List, Optional

from tfx_hf.components.hub_paths import is_local_path
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import Task

PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "tf_model.h5",
                "tf_model.h5.index.json")


class CheckpointError(InputError):
    """The checkpoint folder cannot be loaded as asked."""


def check_local_checkpoint(path: str, allow_pickle: bool = False) -> None:
    """Fails naming the folder unless it has a config and weights we may load."""
    if not os.path.isdir(path):
        raise CheckpointError(f"Checkpoint {path!r} is not a folder.")
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise CheckpointError(f"Checkpoint {path!r} has no config.json.")
    check_known_architecture(path, read_config(path))
    files = set(os.listdir(path))
    if files & set(SAFE_WEIGHTS):
        return
    if files & set(PICKLE_WEIGHTS):
        if allow_pickle:
            return
        raise CheckpointError(
            f"Checkpoint {path!r} has only PyTorch pickle weights (pytorch_model.bin), which "
            "can run code when loaded. Convert them to model.safetensors, or opt in with "
            "allow_pickle=True if you trust the source.")
    raise CheckpointError(f"Checkpoint {path!r} has no weights (expected one of "
                          f"{', '.join(SAFE_WEIGHTS)}).")


def read_config(path: str) -> Dict[str, Any]:
    """The checkpoint folder's config.json."""
    try:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(f"Checkpoint {path!r}: config.json cannot be read ({e}).") from e
    if not isinstance(config, dict):
        raise CheckpointError(f"Checkpoint {path!r}: config.json is not a JSON object.")
    return config


def check_known_architecture(path: str, config: Dict[str, Any]) -> None:
    """The checkpoint's model_type must be one transformers knows (or one registered with
    `AutoConfig.register`): models are loaded with trust_remote_code off, so a checkpoint whose
    architecture lives in its own Python files (config.json `auto_map`) cannot be loaded."""
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type and model_type in CONFIG_MAPPING:
        return
    custom = config.get("auto_map")
    what = (f"model_type {model_type!r}" if model_type else "no model_type") + \
        (f" and custom code ({', '.join(sorted(custom))} in its own .py files)" if custom else "")
    raise CheckpointError(
        f"Checkpoint {path!r} has {what}, which transformers {transformers.__version__} does not "
        "know. tfx-hf loads checkpoints with trust_remote_code off and never runs a "
        "checkpoint's own code. To opt in, read that code, then import it and register its "
        "classes (AutoConfig.register and TFAutoModelForSequenceClassification.register) before "
        "building the pipeline, in the process that trains; or use a checkpoint of an "
        "architecture transformers has.")


# Model types whose position ids start after the padding id (RoBERTa's scheme): 2 of their
# max_position_embeddings are never used by a token.
_POSITION_OFFSET_TYPES = ("roberta", "xlm-roberta", "camembert", "longformer", "xmod",
                          "roberta-prelayernorm")


def max_sequence_length(path: str) -> Optional[int]:
    """The most tokens the local checkpoint's position embeddings take; None when unknown."""
    config = read_config(path)
    positions = config.get("max_position_embeddings")
    if not isinstance(positions, int) or isinstance(positions, bool):
        return None
    if config.get("model_type") in _POSITION_OFFSET_TYPES:
        return positions - (config.get("pad_token_id") or 1) - 1
    return positions


def load_model(checkpoint: str, task: Task, label_names: List[str],
               allow_pickle: bool = False):
    """`task`'s `TFAutoModelFor…` class `.from_pretrained(checkpoint)` with the task's
    labels and problem_type, and with our safety rules."""
    import transformers  # only the Trainer needs transformers; a pipeline compiles without it

    if is_local_path(checkpoint):
        check_local_checkpoint(checkpoint, allow_pickle)
    return getattr(transformers, task.auto_model_class).from_pretrained(
        checkpoint,
        **task.from_pretrained_kwargs(label_names),
        trust_remote_code=False,
        # A checkpoint that already has a classification head for other labels gets a new one.
        ignore_mismatched_sizes=True,
        use_safetensors=None if allow_pickle else _safetensors_only(checkpoint))


def _safetensors_only(checkpoint: str):
    # With TF weights present, let transformers take them; else insist on safetensors so a
    # pickle file is never picked up.
    if os.path.isdir(checkpoint) and {"tf_model.h5", "tf_model.h5.index.json"} & set(
            os.listdir(checkpoint)):
        return None
    return True
