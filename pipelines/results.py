"""Reading a finished local run back from MLMD: metrics, blessing, where it was pushed."""
from typing import Any, Dict, Optional

from tfx.orchestration import metadata
from tfx.types import artifact_utils

from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY, ModelInfo, serving_model_dir
from tfx_hf.components.evaluation.evaluation_results import overall_metrics
from tfx_hf.components.task import get_task


def _latest(store, type_name: str):
    """The newest artifact of a type, as a TFX Artifact (None if there is none)."""
    artifacts = store.get_artifacts_by_type(type_name)
    if not artifacts:
        return None
    return artifact_utils.deserialize_artifact(store.get_artifact_type(type_name),
                                               max(artifacts, key=lambda a: a.id))


def _accuracy_metric(serving_dir: Optional[str]) -> Optional[str]:
    """The metric the model's task reports as its accuracy (None: the task has none)."""
    info = ModelInfo.read(serving_dir) if serving_dir else None
    return get_task(info.task).accuracy_metric if info else None


def run_results(metadata_path: str) -> Dict[str, Any]:
    """Accuracy and metrics on eval, blessed or not, the trained model's serving folder and
    the pushed model's path of the latest run."""
    config = metadata.sqlite_metadata_connection_config(metadata_path)
    with metadata.Metadata(config) as m:
        evaluation = _latest(m.store, "ModelEvaluation")
        blessing = _latest(m.store, "ModelBlessing")
        pushed = _latest(m.store, "PushedModel")
        examples = _latest(m.store, "Examples")
        model = _latest(m.store, "Model")
    pushed_ok = pushed is not None and pushed.get_int_custom_property("pushed") == 1
    metrics = overall_metrics(evaluation.uri) if evaluation else {}
    serving_dir = serving_model_dir(model.uri) if model is not None else None
    return {
        "accuracy": metrics.get(_accuracy_metric(serving_dir)),
        "metrics": metrics,
        "blessed": blessing is not None and blessing.get_int_custom_property("blessed") == 1,
        "pushed_model": pushed.get_string_custom_property("pushed_destination")
        if pushed_ok else None,
        "model": serving_dir,
        "row_counts": {split: int(n) for split, n in examples.get_json_value_custom_property(
            ROW_COUNTS_PROPERTY).items()}
        if examples is not None and examples.has_custom_property(ROW_COUNTS_PROPERTY) else None,
    }
