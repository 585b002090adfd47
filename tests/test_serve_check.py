"""`tfx-hf serve-check`: a model exported by the real Trainer passes (as a SavedModel folder and
as a push destination); Python ops, ops registered nowhere, a missing tensorflow-text pin and
a folder that is no SavedModel fail with a message naming the cause."""
import json
import os
import shutil

import pytest
import tensorflow as tf
import tensorflow_text as text

from tfx_hf.components.export import serve_check
from tfx_hf.pipelines import cli


def _save(module, path, requirements=None, task="regression"):
    """`module.serve` as serving_default, with the assets.extra an export would write."""
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    if requirements is not None:
        os.makedirs(path / "assets.extra")
        (path / "assets.extra" / "requirements.txt").write_text(requirements)
        (path / "assets.extra" / "model_info.json").write_text(json.dumps(
            {"task": task, "text_features": ["text"], "label_names": [],
             "tensorflow_text_version": text.__version__}))
    return str(path)


class _TextLength(tf.Module):
    """A tf-text op (NormalizeUTF8) and core ops: what a model server has."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, texts):
        normalized = text.normalize_utf8(texts, "NFKC")
        return {"scores": tf.cast(tf.strings.length(normalized), tf.float32)}


class _PythonLength(tf.Module):

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, texts):
        lengths = tf.py_function(lambda t: tf.strings.length(t), [texts], tf.int32)
        return {"scores": tf.cast(lengths, tf.float32)}


def _serve_check(capsys, *argv):
    status = cli.main(["serve-check", *argv])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if captured.out.strip() else None, captured.err


@pytest.mark.slow
def test_tensorflow_text_ops_pass(tmp_path, capsys):
    installed = text.__version__
    model = _save(_TextLength(), tmp_path / "m",
                  f"tensorflow=={tf.__version__}\ntensorflow-text=={installed}\n")
    status, report, err = _serve_check(capsys, model, "--text", "héllo", "--text", "")
    assert status == 0, err
    assert report["ok"] and not report["errors"] and not report["warnings"]
    assert report["ops"]["tensorflow_text"] == ["NormalizeUTF8"]
    assert report["ops"]["by_source"]["python"] == report["ops"]["by_source"]["unregistered"] == 0
    assert [s["scores"] for s in report["samples"]] == [6.0, 0.0]  # UTF-8 bytes
    assert report["modules"]["imported_by_load_and_call"] == []
    assert "transformers" in report["modules"]["hidden"]
    assert report["signatures"]["serving_default"]["inputs"] == {
        "text": {"dtype": "string", "shape": [None]}}


@pytest.mark.slow
def test_python_op_fails(tmp_path, capsys):
    model = _save(_PythonLength(), tmp_path / "m",
                  f"tensorflow-text=={text.__version__}\n")
    status, report, err = _serve_check(capsys, model)
    assert status == 1 and not report["ok"]
    assert report["ops"]["python"] == report["ops"]["refused"] == ["EagerPyFunc"]
    assert "FAILED: op EagerPyFunc (1 nodes) runs Python" in err
    assert report["loaded"] is False and "samples" not in report  # refused: never called


@pytest.mark.slow
def test_unregistered_op_fails(tmp_path):
    model = _save(_TextLength(), tmp_path / "m", f"tensorflow-text=={text.__version__}\n")
    # Rename one op as a custom op library would name its own.
    from tensorflow.core.protobuf import saved_model_pb2
    pb = saved_model_pb2.SavedModel()
    with open(os.path.join(model, "saved_model.pb"), "rb") as f:
        pb.ParseFromString(f.read())
    renamed = 0
    for function in pb.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "StringLength":
                node.op, renamed = "MyCustomStringLength", renamed + 1
    assert renamed
    with open(os.path.join(model, "saved_model.pb"), "wb") as f:
        f.write(pb.SerializeToString())
    report = serve_check.check(model)
    assert not report["ok"]
    assert report["ops"]["unregistered"] == ["MyCustomStringLength"]
    assert any(e.startswith("op MyCustomStringLength") and "neither a TensorFlow nor a "
               "TensorFlow Text op" in e for e in report["errors"])


@pytest.mark.slow
def test_requirements_must_name_tensorflow_text(tmp_path):
    missing = serve_check.check(_save(_TextLength(), tmp_path / "a", "tensorflow==2.16.2\n"))
    assert not missing["ok"]
    assert any("names no tensorflow-text version" in e for e in missing["errors"])
    other = serve_check.check(_save(_TextLength(), tmp_path / "b", "tensorflow-text==2.15.0\n"))
    assert other["ok"], other["errors"]
    assert any("asks for tensorflow-text==2.15.0" in w for w in other["warnings"])


def test_folder_that_is_not_a_saved_model(tmp_path, capsys):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "README").write_text("not a model")
    status, report, err = _serve_check(capsys, str(tmp_path / "model"))
    assert status == 2 and report is None
    assert "error: " in err
    assert "is neither a SavedModel folder (no saved_model.pb) nor a push destination" in err


# The real export ---------------------------------------------------------------------------

@pytest.fixture
def exported_model(topic_model):
    """Format-Serving of the model the real Trainer executor trained (conftest's
    `topic_model`, shared with the other tests that need one)."""
    return os.path.join(topic_model.uri, "Format-Serving")


@pytest.mark.slow
def test_exported_model_passes(exported_model, capsys):
    status, report, err = _serve_check(capsys, exported_model)
    assert status == 0, err
    assert report["ok"] and report["errors"] == []
    assert report["loaded"] is True and report["ops"]["refused"] == []
    assert report["ops"]["by_source"]["tensorflow_text"] >= 1
    assert report["ops"]["by_source"]["python"] == report["ops"]["by_source"]["unregistered"] == 0
    assert report["versions"]["required"]["tensorflow-text"] == text.__version__
    assert set(report["signatures"]) >= {"serving_default", "serving_tf_example",
                                         "transform_features", "transform_labels"}
    samples = report["samples"]
    assert len(samples) == len(serve_check.DEFAULT_TEXTS)
    assert all(s["label"] in ("sport", "business", "tech") for s in samples)
    assert all(abs(sum(s["probabilities"]) - 1) < 1e-3 for s in samples)
    assert report["modules"]["imported_by_load_and_call"] == []
    assert report["timings"]["load_seconds"] > 0 and report["timings"]["first_call_seconds"] > 0


@pytest.mark.slow
def test_push_destination_takes_the_newest_version(exported_model, tmp_path, capsys):
    base = tmp_path / "base"
    shutil.copytree(exported_model, base / "1700000000")
    (base / "1600000000").mkdir()  # an older, broken version must not be picked
    status, report, err = _serve_check(capsys, str(base), "--text", "the striker scored a goal")
    assert status == 0, err
    assert report["model_dir"] == str(base / "1700000000")
    assert len(report["samples"]) == 1


# A push destination whose newest versions are incomplete ------------------------------------

def _destination_with_incomplete_versions(base, complete_model):
    """Version 100 complete; 200 empty and 300 a copy that stopped before its variables."""
    shutil.copytree(complete_model, base / "100")
    (base / "200").mkdir()
    (base / "300").mkdir()
    shutil.copy(os.path.join(complete_model, "saved_model.pb"), base / "300")
    return base


def test_incomplete_versions_are_skipped_with_a_warning(tmp_path, caplog):
    from tfx_hf.components.contracts import latest_version
    from tfx_hf.components.input_error import InputError

    model = _save(_TextLength(), tmp_path / "m", "tensorflow-text==2.16.1\n")
    base = _destination_with_incomplete_versions(tmp_path / "base", model)
    with caplog.at_level("WARNING"):
        assert latest_version(str(base)) == str(base / "100")
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert str(base / "200") in warning and str(base / "300") in warning
    shutil.rmtree(base / "100")
    with pytest.raises(InputError) as error:
        latest_version(str(base))
    assert "\n" not in str(error.value)
    assert "has no complete SavedModel version: 300, 200" in str(error.value)


@pytest.mark.slow
def test_predict_and_serve_check_use_the_newest_complete_version(exported_model, tmp_path):
    from tfx_hf.components.export.predict import predict

    base = _destination_with_incomplete_versions(tmp_path / "base", exported_model)
    (answer,) = predict(str(base), ["the striker scored a goal"])
    assert answer["label"] in ("sport", "business", "tech")
    report = serve_check.check(str(base), [b"the striker scored a goal"])
    assert report["ok"], report["errors"]
    assert report["model_dir"] == str(base / "100")
