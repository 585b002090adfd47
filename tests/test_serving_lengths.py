"""The served model pads each request batch to the smallest serving length that holds it (not
to max_length), with the logits of the full-length inputs, and carries TF Serving warm-up
requests: one per serving length."""
import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.contracts import (WARMUP_REQUESTS_FILE, ModelInfo, assets_extra_path,
                                         serving_model_dir)
from tfx_hf.components.export.serving_model import cut_to_serving_length


def _inputs(lengths, max_length=32):
    mask = tf.constant(np.array([[1] * n + [0] * (max_length - n) for n in lengths],
                                np.int32).reshape(len(lengths), max_length))
    return {"input_ids": mask * 7, "attention_mask": mask, "token_type_ids": mask * 0}


@pytest.mark.parametrize("lengths, expected", [
    ([3, 5], 8), ([8], 8), ([9, 2], 16), ([17], 32), ([32, 1], 32), ([], 8)])
def test_a_batch_is_cut_to_the_smallest_length_that_holds_its_longest_row(lengths, expected):
    serving_lengths = tf.constant([8, 16, 32])
    cut = cut_to_serving_length(_inputs(lengths), serving_lengths)
    for name, value in cut.items():
        assert value.shape[1] == expected, name
    full = _inputs(lengths)
    for name in full:  # only padding was cut
        np.testing.assert_array_equal(cut[name].numpy(), full[name].numpy()[:, :expected])


@pytest.fixture(scope="module")
def served(topic_model):
    model_dir = serving_model_dir(topic_model.uri)
    return model_dir, tf.saved_model.load(model_dir)


def test_serving_lengths_are_the_trainers_bucket_lengths_and_warm_up_covers_each(served):
    from tensorflow_serving.apis import prediction_log_pb2

    model_dir, loaded = served
    info = ModelInfo.read(model_dir)
    assert info.serving_lengths[-1] == 32 and info.serving_lengths == sorted(info.serving_lengths)
    assert all(n % 8 == 0 for n in info.serving_lengths)
    records = tf.data.TFRecordDataset(assets_extra_path(model_dir, WARMUP_REQUESTS_FILE))
    texts = []
    for record in records:
        request = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
        assert request.model_spec.signature_name == "serving_default"
        texts.append(tf.make_ndarray(request.inputs["text"])[0])
    # Each request's row lands in its own serving length (as the served model cuts it).
    lengths = _row_lengths(loaded, texts)
    buckets = [min(n for n in info.serving_lengths if n >= length) for length in lengths]
    assert buckets == info.serving_lengths


def _row_lengths(loaded, texts):
    examples = [tf.train.Example(features=tf.train.Features(feature={"text": tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[t if isinstance(t, bytes) else t.encode()]))}))
        .SerializeToString() for t in texts]
    features = loaded.signatures["transform_features"](examples=tf.constant(examples))
    return tf.reduce_sum(tf.cast(features["attention_mask"], tf.int32), axis=-1).numpy().tolist()


def test_short_long_and_mixed_batches_match_the_hf_python_path(served, topic_model):
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    from tfx_hf.components.contracts import hf_format_dir

    model_dir, loaded = served
    hf_dir = hf_format_dir(topic_model.uri)
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = TFAutoModelForSequenceClassification.from_pretrained(hf_dir)
    short = ["Goal", "Bank profit", ""]
    long = ["The striker scored a goal in the cup match " * 6]  # beyond max_length 32
    # The short batch is served at a length below max_length, the others at max_length.
    assert max(_row_lengths(loaded, short)) <= min(ModelInfo.read(model_dir).serving_lengths) < 32
    for batch in (short, long, short + long, short[:1]):
        served_probabilities = loaded.signatures["serving_default"](
            text=tf.constant(batch))["probabilities"].numpy()
        logits = model(**tokenizer(batch, padding="max_length", truncation=True, max_length=32,
                                   return_tensors="tf")).logits
        np.testing.assert_allclose(served_probabilities, tf.nn.softmax(logits).numpy(),
                                   atol=1e-4)


def test_the_model_part_under_xla_serves_the_same_outputs_and_passes_serve_check(
        tmp_path, served, topic_model, topic_artifacts, topic_config, capsys):
    import json

    import tensorflow_transform as tft
    from transformers import TFAutoModelForSequenceClassification

    from tfx_hf.components.contracts import hf_format_dir
    from tfx_hf.components.export.serving_model import export_serving_model
    from tfx_hf.pipelines import cli

    model_dir, loaded = served
    info = ModelInfo.read(model_dir)
    xla_dir = export_serving_model(
        TFAutoModelForSequenceClassification.from_pretrained(hf_format_dir(topic_model.uri)),
        tft.TFTransformOutput(topic_artifacts[1].uri), str(tmp_path / "xla"),
        text_features=info.text_features, label_feature=topic_config.label_feature,
        label_names=info.label_names, task=info.task, serving_lengths=info.serving_lengths,
        jit_compile=True)
    # The XLA cluster is the model part only: its function holds no string (tokenizer) op.
    saved = tf.saved_model.load(xla_dir)
    graph = saved.signatures["serving_default"].graph.as_graph_def()
    compiled = [f for f in graph.library.function if f.attr["_XlaMustCompile"].b]
    assert compiled and not [node.op for f in compiled for node in f.node_def
                             if "String" in node.op or "Wordpiece" in node.op]
    short, long = ["Goal", "Bank profit", ""], ["The striker scored a goal in the cup " * 6]
    for batch in (short, long, short + long):
        np.testing.assert_allclose(
            saved.signatures["serving_default"](text=tf.constant(batch))["probabilities"],
            loaded.signatures["serving_default"](text=tf.constant(batch))["probabilities"],
            atol=1e-4)
    assert cli.main(["serve-check", xla_dir]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]
