"""Reading a finished local run back from MLMD (metrics, blessing, where it was pushed), and
predicting with the model it exported."""
import json
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


def overall_metrics(evaluation_uri: str) -> Dict[str, float]:
    """The overall slice's scalar metrics of an evaluation, averages named like
    "macro_average_auc" (per-class values and plots are left out)."""
    import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top

    result = tfma.load_eval_result(evaluation_uri)
    (overall,) = [metrics for key, metrics in result.slicing_metrics if key == ()]
    return {name.replace(": true\n", ""): float(value["doubleValue"])
            for name, value in overall.get("", {}).get("", {}).items() if "doubleValue" in value}


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
    metrics = overall_metrics(evaluation.uri) if evaluation else {}
    return {
        "accuracy": metrics.get("sparse_categorical_accuracy"),
        "metrics": metrics,
        "blessed": blessing is not None and blessing.get_int_custom_property("blessed") == 1,
        "pushed_model": pushed.get_string_custom_property("pushed_destination")
        if pushed_ok else None,
        "model": os.path.join(model.uri, "Format-Serving") if model is not None else None,
        "row_counts": {split: int(n) for split, n in examples.get_json_value_custom_property(
            ROW_COUNTS_PROPERTY).items()}
        if examples is not None and examples.has_custom_property(ROW_COUNTS_PROPERTY) else None,
    }


def predict(model_dir: str, texts: List[str]) -> List[Dict[str, Any]]:
    """One prediction per text from an exported (or pushed) serving model, with `summary`, a
    one-line description: the label and its probability (single-label), the labels scoring
    over 0.5 (multi-label) or the value (regression). Pair models get each text twice."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import tensorflow_text  # noqa: F401  pylint: disable=unused-import,g-import-not-at-top

    if not os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        raise FileNotFoundError(f"{model_dir!r} is not a SavedModel folder (no saved_model.pb).")
    with open(os.path.join(model_dir, "assets.extra", "model_info.json")) as f:
        label_names = json.load(f)["label_names"]
    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    outputs = serve(**{name: tf.constant(texts) for name in serve.structured_input_signature[1]})
    predictions = []
    for i, text in enumerate(texts):
        if "probabilities" in outputs:
            probability = float(max(outputs["probabilities"][i]))
            label = outputs["label"][i].numpy().decode()
            predictions.append({"text": text, "label": label, "probability": probability,
                                "summary": f"{label}\t{probability:.4f}"})
        elif label_names:  # multi-label
            scores = [float(s) for s in outputs["scores"][i]]
            labels = [n for n, s in zip(label_names, scores) if s > 0.5]
            predictions.append({"text": text, "labels": labels, "scores": scores,
                                "summary": ",".join(labels) or "-"})
        else:
            value = float(outputs["scores"][i])
            predictions.append({"text": text, "value": value, "summary": f"{value:.4f}"})
    return predictions
