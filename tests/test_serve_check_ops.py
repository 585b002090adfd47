"""The op allow-list of serve-check and predict: every op of a real tfx-hf export is on it (a new
export op fails here, to be reviewed into allowed_ops.py), the checkpoint ops only in the saver's
own functions; a model that writes a file is refused by name, never loaded, and its file never
written, unless its op is admitted on purpose (`--allow-op`, predict's `--trust-model`)."""
import json
import os

import pytest
import tensorflow as tf
import tensorflow_text as text
from tensorflow.core.protobuf import saved_model_pb2

from tfx_hf.components.export import allowed_ops, serve_check
from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.pipelines import cli

CHECKPOINT_OPS = {"RestoreV2", "SaveV2", "MergeV2Checkpoints", "ShardedFilename"}


def _saved_model_pb(path):
    saved_model_pb = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model_pb.ParseFromString(f.read())
    return saved_model_pb


def _assert_every_op_allowed(path):
    saved_model_pb = _saved_model_pb(path)
    ops = set(serve_check._graph_ops(saved_model_pb))
    listed = allowed_ops.MODEL_OPS | allowed_ops.RESTORE_OPS | allowed_ops.SAVE_OPS
    assert sorted(ops - listed) == [], "ops of a tfx-hf export missing from allowed_ops.py"
    assert serve_check.refused_ops(saved_model_pb, allowed_ops.by_context()) == {}
    # The checkpoint ops are allowed in the saver's functions only: not as model ops.
    no_saver = {"model": allowed_ops.MODEL_OPS, "restore": (), "save": ()}
    assert set(serve_check.refused_ops(saved_model_pb, no_saver)) == CHECKPOINT_OPS & ops
    return ops


@pytest.mark.slow
def test_every_op_of_the_real_export_is_allowed(topic_model):
    ops = _assert_every_op_allowed(os.path.join(topic_model.uri, "Format-Serving"))
    assert {"RestoreV2", "FastWordpieceTokenizeWithOffsets", "ParseExampleV2"} <= ops


def test_every_op_of_the_in_graph_tokenizer_is_allowed(tmp_path, tiny_checkpoint):
    """The tokenizer of an export, text pairs included, without training a model."""
    tokenizer = InGraphTokenizer.from_pretrained(tiny_checkpoint, max_length=16)
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(lambda texts, pairs: tokenizer(texts, pairs),
                                  input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(module, str(tmp_path / "tokenizer"))
    assert "FastWordpieceTokenizeWithOffsets" in _assert_every_op_allowed(
        str(tmp_path / "tokenizer"))


class _Reader(tf.Module):
    """Ops that reach the filesystem or Python from a serving function."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, texts):
        found = tf.io.matching_files(self.folder + "/*")
        content = tf.io.read_file(self.folder + "/secret")
        restored = tf.raw_ops.RestoreV2(prefix=self.folder + "/ckpt", tensor_names=["w"],
                                        shape_and_slices=[""], dtypes=[tf.float32])
        tf.print(content, output_stream="file://" + self.folder + "/log")
        lengths = tf.py_function(lambda t: tf.strings.length(t), [texts], tf.int32)
        scores = tf.cast(lengths + tf.size(found) + tf.size(restored[0]), tf.float32)
        return {"scores": scores}


def test_file_and_python_ops_are_refused_by_name_outside_the_saver(tmp_path):
    module = _Reader(str(tmp_path))
    tf.saved_model.save(module, str(tmp_path / "m"), signatures={"serving_default": module.serve})
    refused = serve_check.refusals(str(tmp_path / "m"))
    ops = [line.split()[1] for line in refused]
    # RestoreV2 too: only the SavedModel's own restore function may read a checkpoint.
    assert ops == ["EagerPyFunc", "MatchingFiles", "PrintV2", "ReadFile", "RestoreV2"]
    assert "op ReadFile (1 nodes) reads or writes files" in refused
    assert serve_check.refusals(str(tmp_path / "m"), allow_ops=ops) == []


class _Writer(tf.Module):
    """tf.io.write_file of the first text of a request to `target` on every call."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, texts):
        tf.io.write_file(self.target, texts[0])
        return {"scores": tf.cast(tf.strings.length(texts), tf.float32)}


@pytest.fixture
def writer(tmp_path):
    """(a SavedModel that writes a file when called, the file it writes)."""
    target = tmp_path / "written.txt"
    module = _Writer(str(target))
    path = tmp_path / "writer"
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    os.makedirs(path / "assets.extra")
    (path / "assets.extra" / "requirements.txt").write_text(
        f"tensorflow-text=={text.__version__}\n")
    (path / "assets.extra" / "model_info.json").write_text(json.dumps(
        {"task": "regression", "text_features": ["text"], "label_names": [],
         "tensorflow_text_version": text.__version__}))
    return str(path), target


def test_serve_check_refuses_a_model_that_writes_files_without_running_it(writer, capsys):
    model, target = writer
    status = cli.main(["serve-check", model])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert status == 1 and not report["ok"] and report["loaded"] is False
    assert report["ops"]["refused"] == ["WriteFile"]
    assert ("FAILED: op WriteFile (1 nodes) reads or writes files: refused, so the model was "
            "neither loaded nor called (--allow-op WriteFile admits it on purpose).\n"
            ) in captured.err
    assert "samples" not in report and "load_seconds" not in report["timings"]
    assert not target.exists()

    # Admitted on purpose: loaded and called, so it writes.
    status = cli.main(["serve-check", model, "--allow-op", "WriteFile", "--text", "hello"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and report["ok"] and report["loaded"] is True
    assert report["ops"]["refused"] == [] and target.read_text() == "hello"


def test_predict_refuses_a_model_that_writes_files_unless_told(writer, capsys):
    model, target = writer
    assert cli.main(["predict", model, "hello"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"tfx-hf predict: error: {model} was not "
                                                   "loaded: op WriteFile (1 nodes) reads or "
                                                   "writes files. Admit an op on purpose with "
                                                   "--allow-op NAME")
    assert not target.exists()

    assert cli.main(["predict", model, "hello", "--allow-op", "WriteFile"]) == 0
    assert capsys.readouterr().out == "5.0000\thello\n" and target.read_text() == "hello"
    target.unlink()
    assert cli.main(["predict", model, "bye", "--trust-model"]) == 0
    assert target.read_text() == "bye"
