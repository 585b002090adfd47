"""Fault injection: the same `tfx-hf run` killed (SIGKILL, no clean shutdown: as a preempted VM
or the OOM killer would) inside each component in turn, then run again.

The runs go into one output folder, in pipeline order: the run that kills component k is also
the rerun after the kill in component k-1, and a last run goes through. After each kill and
each rerun the test checks what issue 15 asks: MLMD keeps no unfinished execution of an
earlier run (each is CANCELED, its output folders gone), training resumes from the killed
run's last backup (fewer steps the second time), nothing half-pushed is ever visible at the
push destination, and summary.json describes the latest run or is absent.

What it costs: without TFX's cache every run repeats the components before its kill, so the
runs use `--set enable_cache=true` (a completed component is not run again) except the rerun
after the kill in the Trainer, which is the default command: it repeats ExampleGen to
Transform, writing the same Examples into new folders, as any user's rerun does, and must
still find the killed training's backup.

The kill comes from inside the run's own process, at a chosen point, through a small driver
that patches TFX's launcher (KILL_DRIVER): after the component's executor has done its work
but before TFX publishes it (MLMD still says RUNNING, its folders are full), in the Trainer at
a chosen optimizer step, in the Pusher in the middle of copying the model. The product's code
has no test hook.
"""
import json
import os
import re
import signal
import subprocess
import sys

import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

pytestmark = [pytest.mark.pipeline, pytest.mark.heavy]

PIPELINE = "tfx-hf-text-classification"
TRAIN_STEPS = 60  # the Trainer backs up every 50 steps (TaskConfig.backup_every_steps)
BACKUP_STEP, KILL_STEP = 50, 55
# The runs that kill these nodes are the default command, without the cache (see above).
DEFAULT_COMMAND_KILLS = ("HFEvaluator",)
# In the order LocalDagRunner runs them (test_cli_console checks that order).
NODES = ["HFDatasetExampleGen", "latest_blessed_model_resolver", "StatisticsGen",
         "TokenLengthStatisticsGen", "TokenizerParityCheck", "SchemaGen", "ExampleValidator",
         "Transform", "HFTrainer", "HFEvaluator", "ServingPusher"]

KILL_DRIVER = r"""
import os, runpy, shutil, signal, sys
node, kill_step = sys.argv[1], int(sys.argv[2])
sys.argv = ["tfx-hf"] + sys.argv[3:]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

from tfx.orchestration.portable import launcher, resolver_node_handler

def after(original, node_of):
    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if node_of(self, *args) == node:
            die()
        return result
    return wrapped

if node == "HFTrainer":
    from tfx_hf.components.trainer import progress
    step_end = progress.TrainingProgress.on_train_batch_end
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= kill_step:
            die()
        return step_end(self, batch, logs)
    progress.TrainingProgress.on_train_batch_end = on_train_batch_end
elif node == "ServingPusher":
    from tfx_hf.components.pusher import executor as pusher
    class HalfCopy:  # copies the SavedModel but its variables, then dies
        def __getattr__(self, name):
            return getattr(shutil, name)
        @staticmethod
        def copytree(source, target, **kwargs):
            shutil.copytree(source, target, ignore=lambda d, names: [
                n for n in names if n == "variables"])
            die()
    pusher.shutil = HalfCopy()
elif node == "latest_blessed_model_resolver":
    handler = resolver_node_handler.ResolverNodeHandler
    handler.run = after(handler.run, lambda self, mlmd, node, *a: node.node_info.id)
else:
    launcher.Launcher._run_executor = after(
        launcher.Launcher._run_executor, lambda self, *a: self._pipeline_node.node_info.id)
runpy.run_module("tfx_hf.pipelines.cli", run_name="__main__")
"""


def _run(output, dataset, checkpoint, kill_node=None):
    command = ["run", "--dataset", dataset, "--checkpoint", checkpoint, "--output", output,
               "--splits", "train=train,test=eval", "--train-steps", str(TRAIN_STEPS),
               "--batch-size", "8", "--max-length", "32", "--learning-rate", "3e-3",
               "--min-accuracy", "0"]
    if kill_node not in DEFAULT_COMMAND_KILLS:
        command += ["--set", "enable_cache=true"]
    result = subprocess.run([sys.executable, "-c", KILL_DRIVER, kill_node or "-",
                             str(KILL_STEP)] + command,
                            capture_output=True, text=True, timeout=1200)
    with open(os.path.join(output, "logs", "run.log"), encoding="utf-8") as f:
        log = f.read()
    return result, log


def _executions(output):
    store = metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(
        os.path.join(output, "metadata.sqlite")))
    node_of = {}
    for context in store.get_contexts_by_type("node"):
        for execution in store.get_executions_by_context(context.id):
            node_of[execution.id] = context.name[len(PIPELINE) + 1:]
    return [(e.id, node_of.get(e.id), e.last_known_state) for e in store.get_executions()]


UNFINISHED = (metadata_store_pb2.Execution.NEW, metadata_store_pb2.Execution.RUNNING)


def _training_steps(log):
    """(the step a run resumed at or 0, the optimizer steps its progress lines show)."""
    resumed = re.search(r"Resuming training at step (\d+)/%d" % TRAIN_STEPS, log)
    steps = [int(s) for s in re.findall(r"step (\d+)/%d  loss" % TRAIN_STEPS, log)]
    return (int(resumed.group(1)) if resumed else 0), steps


def _check_push_destination(output):
    """TF Serving sees only complete versions: every numbered folder is a whole SavedModel."""
    destination = os.path.join(output, "serving_model")
    names = os.listdir(destination) if os.path.isdir(destination) else []
    for name in names:
        if name.isdigit():
            version = os.path.join(destination, name)
            assert os.path.isfile(os.path.join(version, "saved_model.pb")), version
            assert os.path.isfile(os.path.join(version, "variables", "variables.index")), \
                version
    return sorted(names)


@pytest.fixture(scope="module")
def chain(tmp_path_factory, tiny_checkpoint, topic_dataset):
    """The shared output folder and what the runs so far left to check."""
    return {"output": str(tmp_path_factory.mktemp("killed_runs")), "killed": [],
            "trained_steps_before_kill": None, "dataset": topic_dataset,
            "checkpoint": tiny_checkpoint}


def _check_rerun_recovered(chain, log):
    """What every run after a kill must show about the killed run."""
    output = chain["output"]
    states = {execution_id: (node, state) for execution_id, node, state in
              _executions(output)}
    for execution_id, node in chain["killed"]:
        if execution_id is None:
            continue
        assert states[execution_id] == (node, metadata_store_pb2.Execution.CANCELED)
        leftovers = [os.path.join(output, "pipeline_root", node, key, str(execution_id))
                     for key in os.listdir(os.path.join(output, "pipeline_root", node))]
        assert not [p for p in leftovers if os.path.exists(p)], leftovers
    if chain["trained_steps_before_kill"] is not None and "HFTrainer is finished" in log:
        resumed_at, steps = _training_steps(log)
        assert resumed_at == BACKUP_STEP, log[-3000:]
        assert steps and min(steps) > BACKUP_STEP and max(steps) == TRAIN_STEPS
        assert len(steps) < len(chain["trained_steps_before_kill"])  # fewer steps this time
        chain["trained_steps_before_kill"] = None
    chain["killed"] = [k for k in chain["killed"] if k[0] is None]


@pytest.mark.parametrize("node", NODES)
def test_run_killed_inside_component(chain, node):
    output = chain["output"]
    before = {e[0] for e in _executions(output)} if os.path.exists(
        os.path.join(output, "metadata.sqlite")) else set()
    result, log = _run(output, chain["dataset"], chain["checkpoint"], kill_node=node)

    assert result.returncode == -signal.SIGKILL, result.stdout[-2000:] + log[-3000:]
    assert f"Component {node} is running." in log and f"Component {node} is finished." \
        not in log
    _check_rerun_recovered(chain, log)
    # The killed run left its execution unfinished (the resolver's is published at once).
    unfinished = [(i, n) for i, n, state in _executions(output)
                  if state in UNFINISHED and i not in before]
    assert [n for _, n in unfinished] == ([] if node == NODES[1] else [node])
    chain["killed"] = unfinished
    # Nothing describes this run yet: the previous run's summary was removed when it began.
    assert not os.path.exists(os.path.join(output, "summary.json"))
    names = _check_push_destination(output)
    if node == "HFTrainer":
        _, steps = _training_steps(log)
        assert steps and BACKUP_STEP <= max(steps) < KILL_STEP
        chain["trained_steps_before_kill"] = steps
    if node == "ServingPusher":  # the copy died half-way: only a hidden staging folder
        assert [n for n in names if n.isdigit()] == [] and len(names) == 1, names


def test_rerun_after_the_kills_goes_through(chain):
    output = chain["output"]
    result, log = _run(output, chain["dataset"], chain["checkpoint"])

    assert result.returncode == 0, result.stdout[-2000:] + log[-3000:]
    _check_rerun_recovered(chain, log)
    executions = _executions(output)
    assert not [e for e in executions if e[2] in UNFINISHED]
    # One pushed version, complete; no staging folder left.
    names = _check_push_destination(output)
    assert len(names) == 1 and names[0].isdigit(), names
    # summary.json describes this run: its model is this run's Trainer output.
    summary = json.loads(open(os.path.join(output, "summary.json")).read())
    last_trainer = max(i for i, n, s in executions
                       if n == "HFTrainer" and s == metadata_store_pb2.Execution.COMPLETE)
    assert f"{os.sep}HFTrainer{os.sep}model{os.sep}{last_trainer}{os.sep}" in summary["model"]
    assert summary["blessed"] and summary["pushed_model"] == os.path.join(
        output, "serving_model", names[0])
