"""After a killed run: the next run marks its unfinished executions and removes their folders
(pipelines/interrupted_runs.py), the Trainer finds its backup again (components/trainer/
resume.py), and summary.json is never half-written. The whole story, with real runs killed
inside each component, is tests/test_fault_injection.py."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.types import standard_artifacts

from tfx_hf.components.trainer import resume
from tfx_hf.pipelines import interrupted_runs

PIPELINE = "topics"


def _store(path):
    return metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(str(path)))


def _execution(store, node_id, state):
    """An execution of `node_id` in PIPELINE's contexts, as TFX registers one."""
    types = {}
    for name in ("pipeline", "node"):
        types[name] = store.put_context_type(metadata_store_pb2.ContextType(name=name))
    execution_type = store.put_execution_type(metadata_store_pb2.ExecutionType(name=node_id))
    [execution_id] = store.put_executions([metadata_store_pb2.Execution(
        type_id=execution_type, last_known_state=state)])
    contexts = []
    for kind, name in (("pipeline", PIPELINE), ("node", f"{PIPELINE}.{node_id}")):
        found = store.get_context_by_type_and_name(kind, name)
        contexts.append(found.id if found else store.put_contexts(
            [metadata_store_pb2.Context(type_id=types[kind], name=name)])[0])
    store.put_attributions_and_associations(
        [], [metadata_store_pb2.Association(context_id=c, execution_id=execution_id)
             for c in contexts])
    return execution_id


def test_unfinished_executions_are_cancelled_and_their_folders_removed(tmp_path):
    path, root = tmp_path / "metadata.sqlite", tmp_path / "pipeline_root"
    store = _store(path)
    done = _execution(store, "Transform", metadata_store_pb2.Execution.COMPLETE)
    killed = _execution(store, "HFTrainer", metadata_store_pb2.Execution.RUNNING)
    for folder in (f"HFTrainer/model/{killed}", f"HFTrainer/model_run/{killed}",
                   f"HFTrainer/.system/executor_execution/{killed}", f"Transform/graph/{done}",
                   "HFTrainer/.backup/abc"):
        (root / folder).mkdir(parents=True)
    (root / f"HFTrainer/model_run/{killed}/events").write_text("half")

    with interrupted_runs.LiveRun(str(tmp_path)) as live:
        marked = interrupted_runs.mark_interrupted(str(path), PIPELINE, str(root), live)

    assert marked == [killed]
    states = {e.id: e for e in _store(path).get_executions()}
    assert states[killed].last_known_state == metadata_store_pb2.Execution.CANCELED
    assert "HFTrainer" in states[killed].custom_properties["interrupted"].string_value
    assert states[done].last_known_state == metadata_store_pb2.Execution.COMPLETE
    assert sorted(os.listdir(root / "HFTrainer")) == [".backup", ".system", "model",
                                                      "model_run"]
    assert not os.listdir(root / "HFTrainer/model") and not os.listdir(
        root / "HFTrainer/model_run")
    assert (root / f"Transform/graph/{done}").is_dir() and (root / "HFTrainer/.backup/abc").is_dir()
    assert not os.listdir(tmp_path / interrupted_runs.LIVE_RUNS_DIR)  # the lock went with it


def test_executions_of_a_run_still_going_are_left_alone(tmp_path):
    """Another process holds its run's lock (as a concurrent `tfx-hf run` into the same
    output does); its RUNNING execution began after it started, so it is not touched, and a
    lock file of a process that is gone does not count."""
    path = tmp_path / "metadata.sqlite"
    store = _store(path)
    old = _execution(store, "Transform", metadata_store_pb2.Execution.RUNNING)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from tfx_hf.pipelines import interrupted_runs
        with interrupted_runs.LiveRun({str(tmp_path)!r}):
            print("locked", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / interrupted_runs.LIVE_RUNS_DIR / "999999-1.lock").write_text("")  # dead
        current = _execution(store, "HFTrainer", metadata_store_pb2.Execution.RUNNING)
        with interrupted_runs.LiveRun(str(tmp_path)) as live:
            marked = interrupted_runs.mark_interrupted(str(path), PIPELINE,
                                                       str(tmp_path / "root"), live)
    finally:
        holder.communicate("\n", timeout=60)
    assert marked == [old]
    states = {e.id: e.last_known_state for e in _store(path).get_executions()}
    assert states[current] == metadata_store_pb2.Execution.RUNNING
    assert not (tmp_path / interrupted_runs.LIVE_RUNS_DIR / "999999-1.lock").exists()


def _write_examples(uri, rows, reverse_features=False):
    """Examples as HFDatasetExampleGen writes them; `reverse_features` inserts each row's
    features in the other order, as tfx_bsl may in another process."""
    examples = standard_artifacts.Examples()
    examples.uri = str(uri)
    os.makedirs(os.path.join(uri, "Split-train"))
    with tf.io.TFRecordWriter(os.path.join(uri, "Split-train", "data-00000.gz"),
                              options="GZIP") as writer:
        for text, label in rows:
            example = tf.train.Example()
            names = ["text", "label"][::-1 if reverse_features else 1]
            for name in names:
                feature = example.features.feature[name]
                if name == "text":
                    feature.bytes_list.value.append(text.encode())
                else:
                    feature.int64_list.value.append(label)
            writer.write(example.SerializeToString())
    return examples


def test_training_fingerprint_is_what_the_inputs_hold_not_where(tmp_path):
    rows = [("a match", 0), ("the market", 1), ("new chip", 2)]
    first = _write_examples(tmp_path / "run1", rows)
    rerun = _write_examples(tmp_path / "run2", rows[::-1], reverse_features=True)
    other = _write_examples(tmp_path / "run3", rows[:2] + [("new chip", 1)])
    properties = {"train_args": json.dumps({"num_steps": 60}), "custom_config": "{}"}

    def key(examples, pipeline=PIPELINE, **changed):
        return resume.training_fingerprint(pipeline, "HFTrainer", {"examples": [examples]},
                                           {**properties, **changed})

    assert key(first) == key(rerun)
    assert len({key(first), key(other), key(first, "other-pipeline"),
                key(first, train_args=json.dumps({"num_steps": 61}))}) == 4
    assert resume.backup_dir("/out/pipeline_root/HFTrainer/model/12", "k") == \
        "/out/pipeline_root/HFTrainer/.backup/k"


@pytest.mark.parametrize("previous", [None, '{"run": "the previous one"}'])
def test_summary_is_replaced_whole(tmp_path, previous):
    from tfx_hf.pipelines.cli import run_summary

    if previous:
        (tmp_path / "summary.json").write_text(previous)
    path = run_summary.write_summary({"blessed": True}, str(tmp_path), {})
    assert json.loads(open(path).read())["blessed"] is True
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]  # no staging file left


def test_a_killed_push_leaves_no_staging_copy(tmp_path):
    """ServingPusher stages `.<version>.incomplete` (version: the push's start, in seconds);
    the staging copy of the killed push goes, an older one (not this execution's) and a
    complete version stay."""
    path, push = tmp_path / "metadata.sqlite", tmp_path / "serving"
    store = _store(path)
    killed = _execution(store, "ServingPusher", metadata_store_pb2.Execution.RUNNING)
    [execution] = store.get_executions_by_id([killed])
    started = execution.create_time_since_epoch // 1000
    for name in (f".{started}.incomplete", f".{started - 100}.incomplete", str(started - 200)):
        (push / name).mkdir(parents=True)

    with interrupted_runs.LiveRun(str(tmp_path)) as live:
        interrupted_runs.mark_interrupted(str(path), PIPELINE, str(tmp_path / "root"), live,
                                          str(push))
    assert sorted(os.listdir(push)) == [f".{started - 100}.incomplete", str(started - 200)]
