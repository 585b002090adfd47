"""predict: answers of an exported (or pushed) serving model, shown as its task shows them."""
from typing import Any, Dict, List

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops of the model's tokenizer)

from tfx_hf.components.contracts import SERVING_DEFAULT_SIGNATURE, ModelInfo, latest_version
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import get_task


def predict(model_dir: str, texts: List[str]) -> List[Dict[str, Any]]:
    """One prediction per text from the SavedModel in `model_dir`, with `text` and `summary`,
    a one-line description: the label and its probability (single-label), the labels scoring
    over 0.5 (multi-label) or the value (regression). Pair models get each text twice.
    `model_dir` may be a push destination: its newest complete version answers."""
    model_dir = latest_version(model_dir)
    info = ModelInfo.read(model_dir)
    if info is None:
        raise InputError(f"{ModelInfo.path(model_dir)} is missing: export the model with "
                         "HFTrainer, which records its task and label names there.")
    task = get_task(info.task)
    serve = tf.saved_model.load(model_dir).signatures[SERVING_DEFAULT_SIGNATURE]
    outputs = serve(**{name: tf.constant(texts) for name in serve.structured_input_signature[1]})
    outputs = {name: value.numpy() for name, value in outputs.items()}
    return [{"text": text, **task.show_prediction({name: value[i] for name, value in
                                                   outputs.items()}, info.label_names)}
            for i, text in enumerate(texts)]
