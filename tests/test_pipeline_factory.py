"""create_pipeline's wiring for a multi-label task with slices, checked on the pipeline object
(no run): test_pipeline_e2e.py runs the single-label pipeline, and test_trainer_tasks.py trains
and evaluates the multi-label task through the executors."""
import json

import tensorflow_model_analysis as tfma
from google.protobuf import json_format

from tfx_hf.components.evaluation import eval_config
from tfx_hf.pipelines.text_classification import create_pipeline


def test_multi_label_pipeline_reads_its_slices_and_evaluates_multi_label(tmp_path):
    pipeline = create_pipeline(
        pipeline_name="p", pipeline_root=str(tmp_path / "root"), dataset="unused",
        checkpoint="unused", push_destination=str(tmp_path / "push"), validate=False,
        task="multi_label_classification", slicing_features=["topic"])
    nodes = {c.id: c for c in pipeline.components}

    example_gen = nodes["HFDatasetExampleGen"].exec_properties
    assert json.loads(example_gen["columns"]) == ["text", "label", "topic"]
    # Multi-label ids are a Sequence(ClassLabel) already: nothing to class-encode.
    assert json.loads(example_gen["class_label_columns"]) == []

    # The task's own TFMA config (no accuracy bound: that is single-label's), sliced by topic.
    evaluator = json_format.Parse(nodes["HFEvaluator"].exec_properties["eval_config"],
                                  tfma.EvalConfig())
    assert evaluator == eval_config("multi_label_classification", slicing=["topic"],
                                    baseline_tolerance=0.0)
