"""The `tfx-hf` command: demo, run, predict, serve-check, compile, submit, report, rehearse.

One module per command, each with `add_parser(commands)` and `execute(args)`; `flags` holds
the flags several commands share, `precedence` how a config file, `--set` and flags combine,
`printing` all that the commands print. Command modules import the library inside `execute`,
so that `tfx-hf --help` and argument errors answer without loading TensorFlow, TFX or Beam.
"""
import argparse
import importlib
import os
from typing import List, Optional

from tfx_hf.components.input_error import InputError
from tfx_hf.pipelines.cli import printing

# The command modules, in the order `tfx-hf --help` lists them.
COMMANDS = ("demo", "run", "predict", "serve_check", "compile", "submit", "report",
            "rehearse")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfx-hf", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command and returns the exit status: 0, the command's own, or 2 for wrong
    input, reported in one line. `run` and `demo` return 0 (blessed and pushed), 1 (failed),
    2 (bad input) or 3 (not blessed; cli/session.py); serve-check 1 when the model fails the
    check. In other commands any other exception is a fault and propagates with its
    traceback."""
    # 🤗 TF models are Keras 2 models: tf.keras must resolve to tf-keras, which TensorFlow
    # decides when it is first imported (in a command, after this).
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    args = build_parser().parse_args(argv)
    try:
        return args.execute(args) or 0
    except InputError as e:
        printing.error(args.command, str(e))
        return 2
