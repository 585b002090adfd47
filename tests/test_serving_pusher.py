"""ServingPusher's executor: a blessed model lands in <base>/<version> (TF Serving's layout)
complete or not at all; an unblessed one is not pushed; a model with other labels or another
task than the newest version there is refused unless allow_label_change."""
import json
import os
import shutil
import time

import pytest
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from tfx_hf.components.contracts import ModelInfo, serving_model_dir
from tfx_hf.components.input_error import InputError
from tfx_hf.components.pusher.executor import STAGING_SUFFIX, Executor


def _artifact(cls, uri):
    artifact = cls()
    artifact.uri = str(uri)
    return artifact


def _model(tmp_path):
    serving = tmp_path / "model" / "Format-Serving"
    (serving / "variables").mkdir(parents=True)
    (serving / "saved_model.pb").write_bytes(b"graph")
    (serving / "variables" / "variables.index").write_bytes(b"index")
    return _artifact(standard_artifacts.Model, tmp_path / "model"), serving


def _push(tmp_path, model, blessed=True, name="pushed"):
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / f"blessing_{name}")
    blessing.set_int_custom_property("blessed", int(blessed))
    pushed = _artifact(standard_artifacts.PushedModel, tmp_path / name)
    destination = pusher_pb2.PushDestination(filesystem=pusher_pb2.PushDestination.Filesystem(
        base_directory=str(tmp_path / "serving")))
    Executor().Do({"model": [model], "model_blessing": [blessing]}, {"pushed_model": [pushed]},
                  {"push_destination": proto_utils.proto_to_json(destination)})
    return pushed


def test_blessed_model_lands_in_a_numbered_version(tmp_path):
    model, _ = _model(tmp_path)
    pushed = _push(tmp_path, model)
    (version,) = os.listdir(tmp_path / "serving")
    assert version.isdigit()
    destination = tmp_path / "serving" / version
    assert (destination / "saved_model.pb").read_bytes() == b"graph"
    assert (destination / "variables" / "variables.index").read_bytes() == b"index"
    assert pushed.get_int_custom_property("pushed") == 1
    assert pushed.get_string_custom_property("pushed_destination") == str(destination)
    assert pushed.get_string_custom_property("pushed_version") == version


def test_a_failed_copy_leaves_no_version_and_the_next_push_succeeds(tmp_path):
    model, serving = _model(tmp_path)
    os.symlink(tmp_path / "nowhere", serving / "variables" / "broken")  # copying it fails
    # shutil.copytree copies what it can, then raises one Error listing what it could not.
    with pytest.raises(shutil.Error, match=r"variables/broken.*No such file or directory"):
        _push(tmp_path, model)
    names = os.listdir(tmp_path / "serving")
    assert not [n for n in names if n.isdigit()]  # TF Serving sees no version
    assert all(n.endswith(STAGING_SUFFIX) and n.startswith(".") for n in names)

    os.remove(serving / "variables" / "broken")
    _push(tmp_path, model, name="pushed_again")
    # A leftover staging folder is hidden from TF Serving (and replaced if its version recurs).
    versions = [n for n in os.listdir(tmp_path / "serving") if not n.startswith(".")]
    assert len(versions) == 1 and versions[0].isdigit()
    assert (tmp_path / "serving" / versions[0] / "saved_model.pb").exists()


def test_unblessed_model_is_not_pushed(tmp_path):
    model, _ = _model(tmp_path)
    pushed = _push(tmp_path, model, blessed=False)
    assert not os.path.exists(tmp_path / "serving")
    assert pushed.get_int_custom_property("pushed") == 0


# A model with other labels never replaces the one at the destination unless allowed ---------

def _real_push(tmp_path, model, base, allow_label_change=None, name="pushed"):
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / f"blessing_{name}")
    blessing.set_int_custom_property("blessed", 1)
    pushed = _artifact(standard_artifacts.PushedModel, tmp_path / name)
    destination = pusher_pb2.PushDestination(filesystem=pusher_pb2.PushDestination.Filesystem(
        base_directory=str(base)))
    properties = {"push_destination": proto_utils.proto_to_json(destination)}
    if allow_label_change is not None:
        properties["custom_config"] = json.dumps({"allow_label_change": allow_label_change})
    Executor().Do({"model": [model], "model_blessing": [blessing]}, {"pushed_model": [pushed]},
                  properties)
    return pushed


def _relabelled(tmp_path, model, label_names, task=None):
    """A copy of the real `model` whose model_info.json names other labels (or task)."""
    copy = _artifact(standard_artifacts.Model, tmp_path / "relabelled")
    shutil.copytree(model.uri, copy.uri)
    info = ModelInfo.read(serving_model_dir(copy.uri))
    info.label_names, info.task = label_names, task or info.task
    info.write(serving_model_dir(copy.uri))
    return copy


def test_model_with_other_labels_is_not_pushed_unless_allowed(tmp_path, topic_model):
    base = tmp_path / "serving"
    # The model already served: an older push of the real model, and a newer broken copy.
    shutil.copytree(serving_model_dir(topic_model.uri), base / "1000000000")
    (base / "1000000001").mkdir()
    other = _relabelled(tmp_path, topic_model, ["negative", "positive"])
    with pytest.raises(InputError) as error:
        _real_push(tmp_path, other, base)
    message = str(error.value)
    assert "\n" not in message and str(base / "1000000000") in message
    assert "labels ['negative', 'positive']" in message
    assert "labels ['sport', 'business', 'tech']" in message
    assert sorted(os.listdir(base)) == ["1000000000", "1000000001"]  # nothing written

    multi_label = _relabelled(tmp_path / "r", topic_model, ["sport", "business", "tech"],
                              task="multi_label_classification")
    with pytest.raises(InputError, match="multi_label_classification with labels"):
        _real_push(tmp_path, multi_label, base, allow_label_change=False, name="p2")

    same = _real_push(tmp_path, topic_model, base, name="same")  # same labels: pushed
    assert same.get_int_custom_property("pushed") == 1
    time.sleep(1.1)  # versions are UNIX seconds: the next push gets a version of its own
    allowed = _real_push(tmp_path, other, base, allow_label_change=True, name="allowed")
    assert allowed.get_int_custom_property("pushed") == 1
    assert ModelInfo.read(allowed.get_string_custom_property("pushed_destination")) \
        .label_names == ["negative", "positive"]


def test_allow_label_change_reaches_the_executor_through_custom_config():
    from tfx.types import channel

    from tfx_hf.components.pusher.component import ServingPusher

    model = channel.Channel(type=standard_artifacts.Model)
    destination = pusher_pb2.PushDestination(filesystem=pusher_pb2.PushDestination.Filesystem(
        base_directory="/serving"))
    allowed = ServingPusher(model=model, push_destination=destination, allow_label_change=True)
    assert json.loads(allowed.exec_properties["custom_config"]) == {"allow_label_change": True}
    default = ServingPusher(model=model, push_destination=destination)
    assert json.loads(default.exec_properties["custom_config"] or "null") is None
