"""A training process killed mid-way and started again resumes from its last backup."""
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from tfx.types import artifact_utils

pytestmark = pytest.mark.slow
TRAIN_STEPS = 60

TRAIN_SCRIPT = """
import json, sys
from absl import logging
logging.set_verbosity(logging.INFO)
sys.path.insert(0, sys.argv[1])
import trainer_harness
from tfx.types import artifact_utils
from tfx_hf.components.task import TaskConfig
root, config = sys.argv[2], TaskConfig(**json.loads(sys.argv[3]))
inputs = artifact_utils.parse_artifact_dict(sys.argv[5])
trainer_harness.train(root, inputs["examples"][0], inputs["transform_graph"][0], config,
                      train_steps=int(sys.argv[4]))
print("TRAINING DONE")
"""


def _start(root, config, examples, transform_graph):
    """The Trainer executor in a process of its own, on the shared prepared artifacts (passed
    as TFX passes artifacts to a container: JSON of the MLMD artifacts)."""
    inputs = artifact_utils.jsonify_artifact_dict(
        {"examples": [examples], "transform_graph": [transform_graph]})
    return subprocess.Popen(
        [sys.executable, "-c", TRAIN_SCRIPT, os.path.dirname(__file__), root,
         json.dumps(config.to_custom_config()), str(TRAIN_STEPS), inputs],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_killed_training_resumes_from_backup(tmp_path, topic_artifacts, topic_config):
    config = dataclasses.replace(topic_config, learning_rate=1e-3, backup_every_steps=5)
    root = str(tmp_path)
    first = _start(root, config, *topic_artifacts)
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

    second = _start(root, config, *topic_artifacts)
    output, _ = second.communicate(timeout=600)
    assert second.returncode == 0, output[-3000:]
    resumed = re.search(r"Resuming training at step (\d+)/%d" % TRAIN_STEPS, output)
    assert resumed, output[-3000:]
    assert 20 <= int(resumed.group(1)) <= seen[-1]  # the last backup, every 5 steps
    steps = [int(s) for s in re.findall(r"step (\d+)/%d" % TRAIN_STEPS, output)]
    assert min(steps) > 20 and max(steps) == TRAIN_STEPS  # not started over
    assert "TRAINING DONE" in output
    assert os.path.isfile(os.path.join(root, "model", "Format-Serving", "saved_model.pb"))
