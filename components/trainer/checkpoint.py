"""Loading a 🤗 checkpoint safely: no remote code, and no unpickling unless asked."""
import os
from typing import List

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
