"""The blessing section (each threshold, the baseline's value beside the candidate's, why the
model passed or failed) and what was pushed where.

Thresholds come from the EvalConfig as the pipeline gave it (the Evaluator's `eval_config`
exec property): without a baseline TFX drops the change thresholds from the config TFMA runs,
and the report still shows them, as not applied. Whether each was met comes from
`tfma.load_validation_result`."""
from typing import Any, Dict, List, Optional, Tuple

import tensorflow_model_analysis as tfma
from google.protobuf import json_format
from tensorflow_model_analysis.metrics import metric_specs, metric_types
from tensorflow_model_analysis.writers import eval_config_writer

from tfx_hf.pipelines.report.evaluation import (Evaluation, key_id, metric_display_name,
                                                slice_name)
from tfx_hf.pipelines.report.run_record import RunRecord


def _bound(threshold) -> str:
    """A threshold as people read it: "≥ 0.8", "at most 0.01 worse than the baseline"."""
    if isinstance(threshold, tfma.GenericValueThreshold):
        parts = []
        if threshold.HasField("lower_bound"):
            parts.append(f"≥ {threshold.lower_bound.value:g}")
        if threshold.HasField("upper_bound"):
            parts.append(f"≤ {threshold.upper_bound.value:g}")
        return " and ".join(parts)
    higher = threshold.direction == tfma.MetricDirection.HIGHER_IS_BETTER
    parts = []
    if threshold.HasField("absolute"):
        # eval_config.py turns a tolerance of 0 into 1e-10 so an equal model passes.
        tolerance = abs(threshold.absolute.value)
        parts.append("no worse than the baseline" if tolerance <= 1e-9 else
                     f"at most {tolerance:g} worse than the baseline")
    if threshold.HasField("relative"):
        parts.append(f"relative change {'≥' if higher else '≤'} "
                     f"{threshold.relative.value:g} against the baseline")
    return " and ".join(parts)


def _explain(threshold, met: bool, candidate: Optional[float],
             difference: Optional[float]) -> Optional[str]:
    """Why a threshold was met or not, on the whole eval split: "0.912 is ≥ 0.9", "change
    -0.05: must be no worse than the baseline"."""
    change = isinstance(threshold, tfma.GenericChangeThreshold)
    value = difference if change else candidate
    if value is None:
        return None
    shown = f"change {value:+.4g}" if change else f"{value:.4g}"
    if met:
        return f"{shown} is {_bound(threshold)}"
    return f"{shown}: must be {_bound(threshold)}" if change else \
        f"{shown} is not {_bound(threshold)}"


def _failures(validation) -> Dict[Tuple[str, Tuple], List[str]]:
    """(slice name, key id) → TFMA's messages for the thresholds the model did not meet."""
    failures: Dict[Tuple[str, Tuple], List[str]] = {}
    for per_slice in validation.metric_validations_per_slice:
        name = slice_name(per_slice.slice_key)
        for failure in per_slice.failures:
            key = metric_types.MetricKey.from_proto(failure.metric_key)
            failures.setdefault((name, key_id(key)), []).append(failure.message)
    return failures


def _threshold_slice_name(slice_spec) -> str:
    """Where a threshold applies: a MetricsSpec's own `thresholds` (no slicing spec) apply to
    every slice; an empty slicing spec is the whole eval split."""
    if slice_spec is None:
        return "every slice"
    if not (slice_spec.feature_keys or slice_spec.feature_values):
        return "Overall"
    keys = list(slice_spec.feature_keys) + [f"{k} = {v}" for k, v in
                                            slice_spec.feature_values.items()]
    return "each slice of " + " × ".join(keys)


def blessing_section(record: RunRecord) -> Optional[Dict[str, Any]]:
    """None when the run has no ModelEvaluation (the model was never evaluated)."""
    artifact = record.output("ModelEvaluation")
    if artifact is None:
        return None
    evaluator = record.producer(artifact)
    blessing = record.output("ModelBlessing")
    baselines = evaluator.inputs.get("baseline_model", []) if evaluator else []
    config_json = evaluator.exec_properties.get("eval_config") if evaluator else None
    config = json_format.Parse(config_json, tfma.EvalConfig()) if config_json else \
        eval_config_writer.load_eval_run(artifact.uri)[0]
    evaluation = Evaluation(artifact.uri)
    validation = tfma.load_validation_result(artifact.uri)
    failures = _failures(validation)
    failed_keys = {key for _, key in failures}

    rows = []
    thresholds = metric_specs.metric_thresholds_from_metrics_specs(config.metrics_specs, config)
    for key, slices_and_thresholds in thresholds.items():
        value_key = key._replace(is_diff=False)
        for slice_spec, threshold in slices_and_thresholds:
            change = isinstance(threshold, tfma.GenericChangeThreshold)
            where = _threshold_slice_name(slice_spec)
            messages = [m for (name, k), ms in failures.items() if k == key_id(key)
                        and (where != "Overall" or name == "Overall") for m in ms]
            candidate = evaluation.value(value_key)
            difference = evaluation.value(key) if change and baselines else None
            if change and not baselines:
                status = "not applied"
                why = "no baseline: no model was blessed before this one"
            elif messages:
                status = "failed"
                # TFMA's messages are often empty; the values say it for the whole split.
                why = " ".join(filter(None, [
                    _explain(threshold, False, candidate, difference)
                    if where == "Overall" else None] + messages)) or "not met"
            else:
                status = "passed"
                why = (_explain(threshold, True, candidate, difference) if where == "Overall"
                       else None) or "met on every slice"
            rows.append({
                "metric": metric_display_name(value_key), "kind": "change" if change else "value",
                "slice": where, "bound": _bound(threshold), "candidate": candidate,
                "baseline": evaluation.value(value_key, "baseline") if baselines else None,
                "change": difference, "status": status, "why": why,
            })
    blessed = bool(blessing is not None and blessing.has_custom_property("blessed")
                   and blessing.get_int_custom_property("blessed") == 1)
    return {
        "blessed": blessed,
        "written": blessing is not None,
        "rubber_stamp": bool(blessing is not None and blessing.has_custom_property(
            "rubber_stamp") and blessing.get_int_custom_property("rubber_stamp") == 1),
        "validation_ok": validation.validation_ok,
        "baseline": {"uri": baselines[0].uri, "id": baselines[0].id} if baselines else None,
        "thresholds": rows,
        "unmatched_failures": [{"slice": name, "messages": ms} for (name, k), ms in
                               failures.items() if k not in {key_id(t) for t in thresholds}],
        # A threshold's metric was not computed / a threshold's slice had no rows: TFMA fails
        # the validation for either.
        "missing_thresholds": validation.missing_thresholds,
        "missing_slices": [_threshold_slice_name(spec) for spec in validation.missing_slices],
        "failed_metrics": len(failed_keys),
    }


def pushes_section(record: RunRecord) -> List[Dict[str, Any]]:
    """Each pusher's PushedModel: whether it pushed, and where."""
    pushes = []
    for component, pushed in record.outputs_of_type("PushedModel"):
        properties = {k: pushed.get_custom_property(k)
                      for k in pushed.mlmd_artifact.custom_properties
                      if k not in ("pushed", "pushed_destination", "pushed_version",
                                   "tfx_version", "is_external")}
        pushes.append({
            "component": component.component_id, "state": component.state,
            "pushed": pushed.has_custom_property("pushed")
            and pushed.get_int_custom_property("pushed") == 1,
            "destination": pushed.get_string_custom_property("pushed_destination")
            if pushed.has_custom_property("pushed_destination") else None,
            "version": pushed.get_string_custom_property("pushed_version")
            if pushed.has_custom_property("pushed_version") else None,
            "other": {k: str(v) for k, v in properties.items()},
        })
    return pushes
