"""Reading a finished local run back from MLMD: accuracy, blessing and where it was pushed."""
import os
from typing import Any, Dict, List, Optional

from tfx.orchestration import metadata
from tfx.types import artifact_utils

from tfx_hf.components.hf_dataset_example_gen.executor import ROW_COUNTS_PROPERTY


def _latest(store, type_name: str):
    """The newest artifact of a type, as a TFX Artifact (None if there is none)."""
    artifacts = store.get_artifacts_by_type(type_name)
    if not artifacts:
        return None
    return artifact_utils.deserialize_artifact(store.get_artifact_type(type_name),
                                               max(artifacts, key=lambda a: a.id))


def _accuracy(evaluation_uri: str) -> Optional[float]:
    import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top

    result = tfma.load_eval_result(evaluation_uri)
    for _, metrics in result.slicing_metrics:  # the overall slice only: one entry
        value = metrics.get("", {}).get("", {}).get("sparse_categorical_accuracy")
        if value is not None:
            return float(value["doubleValue"])
    return None


def run_results(metadata_path: str) -> Dict[str, Any]:
    """Accuracy on eval, blessed or not, and the pushed model's path of the latest run."""
    config = metadata.sqlite_metadata_connection_config(metadata_path)
    with metadata.Metadata(config) as m:
        evaluation = _latest(m.store, "ModelEvaluation")
        blessing = _latest(m.store, "ModelBlessing")
        pushed = _latest(m.store, "PushedModel")
        examples = _latest(m.store, "Examples")
        model = _latest(m.store, "Model")
    pushed_ok = pushed is not None and pushed.get_int_custom_property("pushed") == 1
    return {
        "accuracy": _accuracy(evaluation.uri) if evaluation else None,
        "blessed": blessing is not None and blessing.get_int_custom_property("blessed") == 1,
        "pushed_model": pushed.get_string_custom_property("pushed_destination")
        if pushed_ok else None,
        "model": os.path.join(model.uri, "Format-Serving") if model is not None else None,
        "row_counts": {split: int(n) for split, n in examples.get_json_value_custom_property(
            ROW_COUNTS_PROPERTY).items()}
        if examples is not None and examples.has_custom_property(ROW_COUNTS_PROPERTY) else None,
    }


def predict(model_dir: str, texts: List[str]) -> List[Dict[str, Any]]:
    """Label and probability per text from an exported (or pushed) serving model."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import tensorflow_text  # noqa: F401  pylint: disable=unused-import,g-import-not-at-top

    if not os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        raise FileNotFoundError(f"{model_dir!r} is not a SavedModel folder (no saved_model.pb).")
    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    (input_name,) = serve.structured_input_signature[1].keys()
    outputs = serve(**{input_name: tf.constant(texts)})
    return [{"text": text, "label": label.decode(), "probability": float(max(p))}
            for text, label, p in zip(texts, outputs["label"].numpy(),
                                      outputs["probabilities"].numpy())]
