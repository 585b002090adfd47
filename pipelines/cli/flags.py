"""The flags several commands share.

Every flag defaults to None, "not given": its value then comes from the config file or, given
nowhere, from the signature of the function the command calls (create_pipeline,
run_text_classification, compile_pipeline, submit), which holds the one default.
"""
import argparse
import os
import tempfile
from typing import Any, Dict, Mapping, Optional

from tfx_hf.components.hf_dataset_example_gen.dataset_source import INVALID_UTF8_MODES
from tfx_hf.pipelines.beam_args import BEAM_MODES
from tfx_hf.pipelines.config import ConfigError

def _max_length(value: str):
    """--max-length: a number of tokens, or `auto`."""
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a number of tokens nor 'auto'") from None


# create_pipeline keyword → (flag, argparse options); the keyword is the flag's dest.
TRAINING_FLAGS = {
    "train_steps": ("--train-steps", {"type": int}),
    "max_length": ("--max-length", {
        "type": _max_length,
        "help": "tokenizer max_length, or auto: the smallest multiple of 8 covering the 95th "
        "percentile of the training texts' token lengths (capped by the model)"}),
    "batch_size": ("--batch-size", {"type": int}),
    "learning_rate": ("--learning-rate", {"type": float}),
    "min_accuracy": ("--min-accuracy", {
        "type": float, "help": "eval accuracy a model needs to be blessed and pushed"}),
    "long_text": ("--long-text", {
        "choices": ("truncate", "windows"), "help": "texts longer than max_length: keep their "
        "first max_length tokens (truncate, the default), or read all of them as overlapping "
        "windows, as the 🤗 tokenizer's return_overflowing_tokens does (windows)"}),
    "stride": ("--stride", {"type": int, "help": "with --long-text windows: tokens shared by "
                            "consecutive windows (default 0)"}),
    "max_windows": ("--max-windows", {"type": int, "help": "with --long-text windows: the "
                                      "most windows read per text (default 16)"}),
}
PIPELINE_FLAGS = {
    "dataset": ("--dataset", {"help": "Hub id, save_to_disk folder or data file"}),
    "config_name": ("--dataset-config", {"help": "the dataset's config name"}),
    "checkpoint": ("--checkpoint", {"help": "checkpoint folder (or gs:// path)"}),
    "text_feature": ("--text-column", {"help": "the text column"}),
    "label_feature": ("--label-column", {"help": "the label column"}),
    "splits": ("--splits", {"help": "HF_SPLIT=TFX_SPLIT,... (default: hash-split 'train' 2:1)"}),
    "task": ("--task", {"type": lambda name: name.replace("-", "_"), "help": "what to train: "
             "single_label_classification (default), multi_label_classification, regression, "
             "token_classification (also written with hyphens, e.g. token-classification)"}),
    "label_all_tokens": ("--label-all-tokens", {
        "action": "store_true", "help": "token classification: train every "
        "sub-word on its word's tag (B- turned into I-), not only the first"}),
    "aggregation_strategy": ("--aggregation-strategy", {
        "choices": ("simple", "first", "average", "max"), "help": "token classification: how "
        "the served model merges sub-words into entities (🤗 pipeline's; default simple)"}),
    "invalid_utf8": ("--invalid-utf8", {
        "choices": INVALID_UTF8_MODES, "help": "bytes that are not UTF-8 in csv/json/txt files: "
        "stop (error, the default), or read as U+FFFD (replace)"}),
    **TRAINING_FLAGS,
    "pipeline_name": ("--pipeline-name", {}),
    "pipeline_root": ("--pipeline-root", {"help": "e.g. gs://bucket/root"}),
    "push_destination": ("--push-destination", {}),
    "allow_label_change": ("--allow-label-change", {
        "action": "store_true", "help": "let the model's task or label names differ from "
        "those of the models before it: evaluate it without a baseline and push it over the "
        "newest version at the push destination"}),
    "allow_tokenizer_mismatch": ("--allow-tokenizer-mismatch", {
        "action": "store_true", "help": "train even when the in-graph tokenizer gives other "
        "ids than the checkpoint's 🤗 fast tokenizer on rows of the dataset (the differences "
        "are recorded in summary.json and the report); without it the run stops before "
        "training"}),
}


def _add(parser: argparse.ArgumentParser, flags: Dict[str, tuple]) -> None:
    for dest, (flag, options) in flags.items():
        parser.add_argument(flag, dest=dest, default=None, **options)


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, TRAINING_FLAGS)


def add_pipeline_flags(parser: argparse.ArgumentParser) -> None:
    """A config file, `--set KEY=VALUE` and the flags of create_pipeline's main arguments."""
    parser.add_argument("--config", default=None,
                        help="a pipeline config file (YAML; see tfx_hf.pipelines.config); "
                        "flags override it")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="any create_pipeline argument, value read as YAML "
                        "(e.g. --set 'splits={train: train, test: eval}')")
    _add(parser, PIPELINE_FLAGS)
    # Token classification's names for the two columns (text_feature, label_feature).
    parser.add_argument("--tokens-column", dest="text_feature", default=None,
                        help="token classification: the column of words (a list per row)")
    parser.add_argument("--tags-column", dest="label_feature", default=None,
                        help="token classification: the column of tags (Sequence(ClassLabel))")


def add_beam_mode_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--beam-mode", choices=BEAM_MODES, default=None,
                        help="DirectRunner mode: in_memory (Beam's default; small data) or "
                        "multi_processing (large data)")
    parser.add_argument("--beam-workers", type=int, default=None,
                        help="DirectRunner workers (--direct_num_workers)")


def add_beam_arg_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--beam-arg", action="append", metavar="ARG",
                        help="a Beam pipeline arg for every Beam component, passed through "
                        "(e.g. --beam-arg=--runner=DataflowRunner --beam-arg=--project=P "
                        "--beam-arg=--region=R --beam-arg=--temp_location=gs://B/tmp "
                        "--beam-arg=--sdk_container_image=IMAGE); after the config's beam_args")


def add_verbose_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream the full log (TFX, Beam, TensorFlow) here instead of "
                        "one line per component; it always goes to OUTPUT/logs/run.log")


def add_allow_op_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-op", action="append", metavar="NAME",
                        help="admit this op type beside the ops a tfx-hf export uses "
                        "(repeatable; for your own model's ops: ops that read or write files, "
                        "run Python or start processes are refused by default)")


def check_output_folder(path: str, where: str = "--output") -> None:
    """`path` is, or can be made, a folder this process can write to (the run's log, MLMD and
    pipeline root go there), checked by writing in it; ConfigError naming `where` else."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(f"{where} {path!r} is a file, not a folder: give a folder (it is "
                          "created if it does not exist).")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise ConfigError(f"{where} {path!r} cannot be written ({e.strerror or e}): give a "
                          "folder you can write to.") from None


def check_resources(resources: Mapping[str, Mapping[str, Any]], where: str) -> None:
    """cpu a positive number of cores and accelerator_count a positive whole number, for each
    component of `resources` (parsed `--resources` or compile.resources)."""
    for component, spec in resources.items():
        for key, whole, example in (("cpu", False, "cpu=8 or cpu=0.5"),
                                    ("accelerator_count", True, "accelerator_count=1")):
            value = (spec or {}).get(key)
            if value is None:
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or value <= 0 or (whole and value != int(value)):
                kind = "a positive whole number" if whole else "a positive number"
                raise ConfigError(f"{where} {component}: {key}={value!r} is not {kind}: write "
                                  f"{example}.")


def parse_splits(text: Optional[str]) -> Optional[Dict[str, str]]:
    """`train=train,validation=eval` → {"train": "train", "validation": "eval"}."""
    if not text:
        return None
    try:
        return dict(part.split("=", 1) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--splits {text!r}: write HF_SPLIT=TFX_SPLIT pairs, comma-separated, "
                          "e.g. train=train,test=eval.") from None
