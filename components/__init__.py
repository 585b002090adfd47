"""TFX components that take a 🤗 dataset and checkpoint to an end-to-end TF SavedModel."""
import os

# 🤗 TF models are Keras 2 models: tf.keras must resolve to tf-keras, which TensorFlow decides
# when it is first imported. The installed tfx_hf_legacy_keras.pth sets this at interpreter
# start; this line covers a source checkout on sys.path.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
