"""predict: answers of an exported (or pushed) serving model, shown as its task shows them."""
from typing import Any, Dict, Iterable, List

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops of the model's tokenizer)

from tfx_hf.components.contracts import SERVING_DEFAULT_SIGNATURE, ModelInfo, latest_version
from tfx_hf.components.export import serve_check
from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import get_task


class RefusedModelError(InputError):
    """The model has ops that predict does not run (serve_check.refusals)."""


def predict(model_dir: str, texts: List[str], allow_ops: Iterable[str] = (),
            trust_model: bool = False) -> List[Dict[str, Any]]:
    """One prediction per text from the SavedModel in `model_dir`, with `text` and `summary`,
    a one-line description: the label and its probability (single-label), the labels scoring
    over 0.5 (multi-label) or the value (regression). Pair models get each text twice.
    `model_dir` may be a push destination: its newest complete version answers.

    Before the model is loaded, its ops are checked as serve-check checks them (`allow_ops`
    admits more); a model with a refused op is not loaded (RefusedModelError) unless
    `trust_model`."""
    model_dir = latest_version(model_dir)
    if not trust_model:
        refused = serve_check.refusals(model_dir, allow_ops)
        if refused:
            raise RefusedModelError(
                f"{model_dir} was not loaded: {'; '.join(refused)}. Admit an op on purpose "
                "with --allow-op NAME, or skip this check for a model you trust with "
                "--trust-model.")
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
