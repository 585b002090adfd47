"""TFX components that take a 🤗 dataset and checkpoint to an end-to-end TF SavedModel.

tf.keras must be Keras 2 (tf-keras) wherever these run, set by TF_USE_LEGACY_KERAS=1 before
TensorFlow is first imported. Importing this package does not set it (an import must not change
the environment): the tfx_hf_legacy_keras.pth that `pip install` puts in site-packages sets it at
every interpreter's start, Beam workers and subprocesses included; the Docker image sets it in
its ENV.
"""
