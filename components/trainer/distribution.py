"""Choosing the tf.distribute strategy and the Keras precision policy from what is present."""
import json
import os

import tensorflow as tf
from absl import logging

from tfx_hf.components.input_error import InputError

STRATEGIES = ("auto", "tpu", "mirrored", "multi_worker", "default")


def _tf_config_has_workers() -> bool:
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", [])) > 1


def _tpu_resolver():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return resolver
    except (ValueError, tf.errors.NotFoundError):
        return None


def choose_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """`auto`: TPU → TPUStrategy, TF_CONFIG with several workers → MultiWorkerMirroredStrategy,
    several GPUs → MirroredStrategy, else the default strategy. A name forces one."""
    if name not in STRATEGIES:
        raise InputError(f"strategy={name!r}: use one of {STRATEGIES}.")
    if name in ("auto", "tpu"):
        resolver = _tpu_resolver() if name == "tpu" or os.environ.get("TPU_NAME") or \
            os.environ.get("TPU_ACCELERATOR_TYPE") else None
        if resolver is not None:
            strategy = tf.distribute.TPUStrategy(resolver)
        elif name == "tpu":
            raise InputError("strategy='tpu' but no TPU was found.")
        elif _tf_config_has_workers():
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            strategy = tf.distribute.MirroredStrategy()
        else:
            strategy = tf.distribute.get_strategy()
    elif name == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif name == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    logging.info("Distribution strategy: %s with %d replica(s).", type(strategy).__name__,
                 strategy.num_replicas_in_sync)
    return strategy


def _gpu_has_bfloat16() -> bool:
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability >= (8, 0):  # Ampere and newer
            return True
    return False


def choose_precision(precision: str, strategy: tf.distribute.Strategy) -> str:
    """The Keras mixed-precision policy name for `precision` on this hardware."""
    if precision != "auto":
        return precision
    if isinstance(strategy, tf.distribute.TPUStrategy) or _gpu_has_bfloat16():
        return "mixed_bfloat16"
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "float32"


def set_precision(policy: str) -> None:
    """Sets the global Keras policy before the model is built. With mixed_float16, Keras
    `compile()` wraps the optimizer in a LossScaleOptimizer, so the loss scale is handled."""
    tf.keras.mixed_precision.set_global_policy(policy)
    logging.info("Keras precision policy: %s", policy)
