"""Loaded by Python at the start of every process of a rehearsed step (the rehearsal puts this
folder first on the step's PYTHONPATH). With TFX_HF_REHEARSAL_CLOUD_DIR set, the Google Cloud
calls TFX's executors make are recorded there instead of sent (rehearsal/cloud_calls.py)."""
import os

if os.environ.get("TFX_HF_REHEARSAL_CLOUD_DIR"):
    from tfx_hf.pipelines.rehearsal import cloud_calls

    cloud_calls.install(os.environ["TFX_HF_REHEARSAL_CLOUD_DIR"])
