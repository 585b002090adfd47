"""A training process killed mid-way and started again resumes from its last backup."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import trainer_harness
from tfx_hf.components.task import TaskConfig

pytestmark = pytest.mark.slow
TRAIN_STEPS = 60

TRAIN_SCRIPT = """
import json, sys
from absl import logging
logging.set_verbosity(logging.INFO)
sys.path.insert(0, sys.argv[1])
import trainer_harness
from tfx.types import standard_artifacts
from tfx_hf.components.task import TaskConfig
root, config = sys.argv[2], TaskConfig(**json.loads(sys.argv[3]))
examples, transform_graph = standard_artifacts.Examples(), standard_artifacts.TransformGraph()
examples.uri, transform_graph.uri = root + "/examples", root + "/tg"
examples.split_names = '["train", "eval"]'
examples.set_json_value_custom_property("label_names", {"label": ["sport", "business", "tech"]})
trainer_harness.train(root, examples, transform_graph, config, train_steps=int(sys.argv[4]))
print("TRAINING DONE")
"""


def _start(root, config):
    import json
    return subprocess.Popen(
        [sys.executable, "-c", TRAIN_SCRIPT, os.path.dirname(__file__), root,
         json.dumps(config.to_custom_config()), str(TRAIN_STEPS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_killed_training_resumes_from_backup(tmp_path, tiny_checkpoint, topic_dataset):
    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=32, batch_size=8,
                        learning_rate=1e-3, backup_every_steps=5)
    root = str(tmp_path)
    trainer_harness.prepare(root, topic_dataset, config,
                            splits={"train": "train", "test": "eval"})

    first = _start(root, config)
    seen = []
    deadline = time.time() + 300
    for line in first.stdout:
        match = re.search(r"step (\d+)/%d" % TRAIN_STEPS, line)
        if match:
            seen.append(int(match.group(1)))
            if seen[-1] >= 25:
                first.send_signal(signal.SIGKILL)  # no clean shutdown: as a preempted VM
                break
        assert time.time() < deadline, "training made no progress"
    first.wait()
    assert first.returncode == -signal.SIGKILL and seen and seen[-1] < TRAIN_STEPS

    second = _start(root, config)
    output, _ = second.communicate(timeout=600)
    assert second.returncode == 0, output[-3000:]
    resumed = re.search(r"Resuming training at step (\d+)/%d" % TRAIN_STEPS, output)
    assert resumed, output[-3000:]
    assert 20 <= int(resumed.group(1)) <= seen[-1]  # the last backup, every 5 steps
    steps = [int(s) for s in re.findall(r"step (\d+)/%d" % TRAIN_STEPS, output)]
    assert min(steps) > 20 and max(steps) == TRAIN_STEPS  # not started over
    assert "TRAINING DONE" in output
    assert os.path.isfile(os.path.join(root, "model", "Format-Serving", "saved_model.pb"))
