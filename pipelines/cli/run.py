"""`tfx-hf run`: the pipeline on your dataset and checkpoint, here (LocalDagRunner or
BeamDagRunner)."""
import argparse
import os

from tfx_hf.pipelines import config
from tfx_hf.pipelines.cli import flags, precedence, printing

DEFAULT_OUTPUT = "tfx_hf_output"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "run", help="the same pipeline on your own dataset and checkpoint, here")
    flags.add_pipeline_flags(parser)
    parser.add_argument("--output", default=None, help="folder for MLMD, the pipeline root and "
                        f"the pushed model (default {DEFAULT_OUTPUT})")
    parser.add_argument("--runner", default=None,
                        help="local: LocalDagRunner (the default); beam: BeamDagRunner")
    flags.add_beam_mode_flags(parser)
    flags.add_beam_arg_flag(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.pipelines import local_runner
    from tfx_hf.pipelines.cli import run_summary

    file_config = config.load(args.config)
    section = file_config["run"]
    options = config.merged(section, precedence.given_flags(
        args, ("output", "runner", "beam_mode", "beam_workers")))
    options["beam_args"] = precedence.beam_args(section, args, "run.beam_args")
    output = os.path.abspath(options.pop("output", DEFAULT_OUTPUT))
    pipeline = precedence.pipeline_arguments(
        args, file_config, provided=("pipeline_name", "pipeline_root", "push_destination"))
    printing.show_progress()
    summary = local_runner.run_text_classification(output, **options, **pipeline)
    printing.run_summary(summary, run_summary.write_summary(summary, output, pipeline))
