"""Pipeline factories, runners and the `tfx-hf` command."""
import tfx_hf.components  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
