"""Strategy and precision choice from what is present (this machine: one CPU)."""
import json

import pytest
import tensorflow as tf

from tfx_hf.components.trainer import bucketing, distribution


def test_auto_on_one_cpu_is_the_default_strategy(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy = distribution.choose_strategy("auto")
    assert strategy is tf.distribute.get_strategy()
    assert distribution.choose_precision("auto", strategy) == "float32"


def test_tf_config_with_workers_means_multi_worker(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "worker",
                                                                        "index": 0}}))
    assert distribution._tf_config_has_workers()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["localhost:1"]}}))
    assert not distribution._tf_config_has_workers()


def test_forced_choices_and_bad_names():
    assert distribution.choose_precision("mixed_float16", None) == "mixed_float16"
    with pytest.raises(ValueError, match="strategy='nccl'"):
        distribution.choose_strategy("nccl")
    with pytest.raises(ValueError, match="no TPU"):
        distribution.choose_strategy("tpu")


def test_bucket_lengths_follow_the_data():
    lengths = [5] * 50 + [12] * 30 + [40] * 15 + [120] * 5
    assert bucketing.choose_bucket_lengths(lengths, 128, 4) == [8, 16, 40, 128]
    assert bucketing.choose_bucket_lengths([3] * 10, 64, 4) == [8, 64]
    assert bucketing.choose_bucket_lengths(lengths, 128, 1) == [128]


def test_bucketed_batches_have_static_bucket_shapes_and_keep_every_token():
    lengths = [3, 9, 17, 30, 5, 7, 12, 25] * 4
    ids = [[2] + [7] * (n - 2) + [3] + [0] * (32 - n) for n in lengths]
    rows = tf.data.Dataset.from_tensor_slices((
        {"input_ids": tf.constant(ids), "attention_mask": tf.constant(
            [[1] * n + [0] * (32 - n) for n in lengths]),
         "token_type_ids": tf.zeros([len(lengths), 32], tf.int32)},
        tf.range(len(lengths), dtype=tf.int64)))
    batches = list(bucketing.bucketed_batches(rows, [8, 16, 32], batch_size=4, pad_id=0))
    assert {tuple(f["input_ids"].shape) for f, _ in batches} <= {(4, 8), (4, 16), (4, 32)}
    for features, labels in batches:
        for row, label in zip(features["attention_mask"].numpy(), labels.numpy()):
            assert row.sum() == lengths[label]  # the row kept all its real tokens
    assert sum(len(labels) for _, labels in batches) == len(lengths)


def test_a_given_loss_wins_and_multi_label_gets_binary_cross_entropy():
    from tfx_hf.components.task import TaskConfig
    from tfx_hf.components.trainer.run_fn import _loss

    config = TaskConfig(checkpoint="x")
    assert _loss(config) is None  # the 🤗 model's own loss
    config.task = "multi_label_classification"
    assert isinstance(_loss(config), tf.keras.losses.BinaryCrossentropy)
    config.loss = "huber"
    assert _loss(config) is tf.keras.losses.huber
    config.loss = "tf_keras.losses.MeanAbsoluteError"
    assert isinstance(_loss(config), tf.keras.losses.MeanAbsoluteError)


@pytest.mark.slow  # a float16 training step: minutes on CPU
def test_mixed_float16_training_step_has_a_loss_scale(tiny_checkpoint):
    """What run_fn does under precision="mixed_float16": the policy is set before the model is
    built, and Keras compile() wraps 🤗's AdamW in a LossScaleOptimizer."""
    from transformers import create_optimizer

    from tfx_hf.components.task import get_task
    from tfx_hf.components.trainer.checkpoint import load_model

    try:
        distribution.set_precision("mixed_float16")
        model = load_model(tiny_checkpoint, get_task("single_label_classification"), ["a", "b"])
        optimizer, _ = create_optimizer(init_lr=1e-3, num_train_steps=4, num_warmup_steps=1)
        model.compile(optimizer=optimizer)
        assert isinstance(model.optimizer, tf.keras.mixed_precision.LossScaleOptimizer)
        ids = tf.constant([[2, 8, 9, 3], [2, 10, 3, 0]])
        loss = model.train_on_batch(
            {"input_ids": ids, "attention_mask": tf.cast(ids > 0, tf.int32)}, tf.constant([0, 1]))
        assert tf.math.is_finite(loss)
        assert model.layers[0].compute_dtype == "float16"
    finally:
        distribution.set_precision("float32")
