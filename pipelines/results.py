"""Reading a local run back from MLMD: metrics, blessing, where it was pushed; and what one
component's latest execution took in and gave out."""
import dataclasses
from typing import Any, Dict, List, Optional

from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.types import Artifact, artifact_utils

from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY, ModelInfo, serving_model_dir
from tfx_hf.components.evaluation.evaluation_results import metric_name, overall_metrics
from tfx_hf.components.task import get_task
from tfx_hf.components.token_lengths import artifact as token_lengths_artifact
from tfx_hf.components.tokenizer_parity.certificate import TYPE_NAME as PARITY_TYPE_NAME
from tfx_hf.components.tokenizer_parity.certificate import ParityCertificate


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


def threshold_text(threshold) -> str:
    """A TFMA MetricThreshold as a bound: `>= 0.9`, `<= 0.3`, `>= -0.01` (a change from the
    baseline), `relative >= 0`."""
    import tensorflow_model_analysis as tfma

    bounds = []
    if threshold.HasField("value_threshold"):
        value = threshold.value_threshold
        if value.HasField("lower_bound"):
            bounds.append(f">= {value.lower_bound.value:g}")
        if value.HasField("upper_bound"):
            bounds.append(f"<= {value.upper_bound.value:g}")
    if threshold.HasField("change_threshold"):
        change = threshold.change_threshold
        at_least = change.direction == tfma.MetricDirection.HIGHER_IS_BETTER
        for kind in ("absolute", "relative"):
            if change.HasField(kind):
                bounds.append(("relative " if kind == "relative" else "")
                              + f"{'>=' if at_least else '<='} {getattr(change, kind).value:g}")
    return " and ".join(bounds)


def blessing_failures(evaluation_uri: str) -> List[str]:
    """Why the Evaluator did not bless: each failed threshold, with the value it got, e.g.
    `sparse_categorical_accuracy 0.4000 (needs >= 0.9)`."""
    import tensorflow_model_analysis as tfma

    failures = []
    for per_slice in tfma.load_validation_result(evaluation_uri).metric_validations_per_slice:
        for failure in per_slice.failures:
            value = failure.metric_value
            shown = f"{value.double_value.value:.4f}" if value.HasField("double_value") else "?"
            name = metric_name(failure.metric_key)
            if failure.metric_key.is_diff:
                name += " change from the baseline"
            failures.append(f"{name} {shown} (needs {threshold_text(failure.metric_threshold)})")
    return failures


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
        parity = _latest(m.store, PARITY_TYPE_NAME)
        token_lengths = _latest(m.store, token_lengths_artifact.TYPE_NAME)
    pushed_ok = pushed is not None and pushed.get_int_custom_property("pushed") == 1
    metrics = overall_metrics(evaluation.uri) if evaluation else {}
    serving_dir = serving_model_dir(model.uri) if model is not None else None
    blessed = blessing is not None and blessing.get_int_custom_property("blessed") == 1
    return {
        "accuracy": metrics.get(_accuracy_metric(serving_dir)),
        "metrics": metrics,
        "blessed": blessed,
        "not_blessed_because": (blessing_failures(evaluation.uri)
                                if evaluation is not None and not blessed else [])
        # HFEvaluator's own reason (an allowed tokenizer mismatch without its threshold).
        + ([blessing.get_string_custom_property("not_blessed_reason")]
           if blessing is not None and not blessed
           and blessing.has_custom_property("not_blessed_reason") else []),
        "pushed_model": pushed.get_string_custom_property("pushed_destination")
        if pushed_ok else None,
        "model": serving_dir,
        "examples": examples.uri if examples is not None else None,
        "row_counts": {split: int(n) for split, n in examples.get_json_value_custom_property(
            ROW_COUNTS_PROPERTY).items()}
        if examples is not None and examples.has_custom_property(ROW_COUNTS_PROPERTY) else None,
        "tokenizer_parity": tokenizer_parity(parity),
        "token_lengths": token_lengths_artifact.read(token_lengths.uri)
        if token_lengths is not None else None,
    }


def tokenizer_parity(artifact) -> Optional[Dict[str, Any]]:
    """TokenizerParityCheck's certificate as summary.json holds it (exact_row_rate,
    rows_compared, exact_rows, per split, the first differing rows, mismatch_allowed); None
    when the run has none."""
    found = ParityCertificate.read(artifact.uri) if artifact is not None else None
    return found.summary() if found is not None else None


@dataclasses.dataclass
class NodeExecution:
    """A component's latest execution: its type (the component's class path), its state
    (`COMPLETE`, `CACHED`, `FAILED`, ...) and its input and output artifacts by key (a
    Resolver's outputs are the artifacts it found)."""
    type_name: str
    state: str
    inputs: Dict[str, List[Artifact]]
    outputs: Dict[str, List[Artifact]]


def node_execution(metadata_path: str, pipeline_name: str,
                   node_id: str) -> Optional[NodeExecution]:
    """The latest execution of the component `node_id` (None: it has none), found through the
    node context TFX records for each component (`<pipeline name>.<node id>`)."""
    event = metadata_store_pb2.Event
    config = metadata.sqlite_metadata_connection_config(metadata_path)
    with metadata.Metadata(config) as m:
        context = m.store.get_context_by_type_and_name("node", f"{pipeline_name}.{node_id}")
        executions = m.store.get_executions_by_context(context.id) if context else []
        if not executions:
            return None
        execution = max(executions, key=lambda e: e.id)
        events = m.store.get_events_by_execution_ids([execution.id])
        artifacts = {a.id: a for a in m.store.get_artifacts_by_id(
            [e.artifact_id for e in events])}
        types = {t.id: t for t in m.store.get_artifact_types_by_id(
            list({a.type_id for a in artifacts.values()}))}
        (execution_type,) = m.store.get_execution_types_by_id([execution.type_id])
    found = NodeExecution(execution_type.name,
                          metadata_store_pb2.Execution.State.Name(execution.last_known_state),
                          {}, {})
    outputs = (event.OUTPUT, event.DECLARED_OUTPUT, event.INTERNAL_OUTPUT)
    for e in events:
        side = found.outputs if e.type in outputs else found.inputs
        key = e.path.steps[0].key if e.path.steps else ""
        mlmd_artifact = artifacts[e.artifact_id]
        side.setdefault(key, []).append(artifact_utils.deserialize_artifact(
            types[mlmd_artifact.type_id], mlmd_artifact))
    return found
