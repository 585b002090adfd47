"""ServingPusher's executor: a blessed model lands in <base>/<version> (TF Serving's layout)
complete or not at all; an unblessed one is not pushed."""
import os
import shutil

import pytest
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

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
