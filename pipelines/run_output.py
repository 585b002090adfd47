"""The layout of a run's output folder (`tfx-hf run --output OUTPUT`, `demo`), standard library
only: commands that only read a run answer a wrong folder before TensorFlow or TFX is imported."""
import os

from tfx_hf.components.input_error import InputError

METADATA_FILE = "metadata.sqlite"  # the MLMD store of every run into the folder
PIPELINE_ROOT_DIR = "pipeline_root"
PUSH_DESTINATION_DIR = "serving_model"
SUMMARY_FILE = "summary.json"
LOG_FILE = os.path.join("logs", "run.log")
REPORT_FILE = "report.html"


class NotARunOutput(InputError):
    """The folder given is not the output folder of a tfx-hf run."""


def metadata_path(output_dir: str) -> str:
    """OUTPUT/metadata.sqlite (absolute), whether or not a run has written it yet."""
    return os.path.join(os.path.abspath(output_dir), METADATA_FILE)


def existing_metadata_path(output_dir: str) -> str:
    """OUTPUT/metadata.sqlite; NotARunOutput when the folder has none."""
    path = metadata_path(output_dir)
    if not os.path.isfile(path):
        raise NotARunOutput(f"{output_dir!r} is not the output folder of a tfx-hf run (it has "
                            f"no {METADATA_FILE}); give the --output folder of `tfx-hf run` or "
                            "`tfx-hf demo`.")
    return path
