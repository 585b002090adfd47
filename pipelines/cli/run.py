"""`tfx-hf run`: the pipeline on your dataset and checkpoint, here (LocalDagRunner or
BeamDagRunner)."""
import argparse
import os

from tfx_hf.pipelines import config, run_output
from tfx_hf.pipelines.cli import flags, precedence, printing, session

DEFAULT_OUTPUT = "tfx_hf_output"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "run", help="the same pipeline on your own dataset and checkpoint, here")
    flags.add_pipeline_flags(parser)
    parser.add_argument("--output", default=None, help="folder for MLMD, the pipeline root and "
                        f"the pushed model (default {DEFAULT_OUTPUT})")
    flags.add_verbose_flag(parser)
    parser.add_argument("--runner", default=None,
                        help="local: LocalDagRunner (the default); beam: BeamDagRunner")
    flags.add_beam_mode_flags(parser)
    flags.add_beam_arg_flag(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    # Only what needs no TFX before the session: from there on, all output goes to the log.
    file_config = config.load(args.config)
    section = file_config["run"]
    options = config.merged(section, precedence.given_flags(
        args, ("output", "runner", "beam_mode", "beam_workers")))
    options["beam_args"] = precedence.beam_args(section, args, "run.beam_args")
    output = os.path.abspath(options.pop("output", DEFAULT_OUTPUT))
    # Before the session, which writes its log there.
    flags.check_output_folder(output, "--output" if args.output is not None else
                              "run.output" if "output" in section else "the output folder")

    def work(console, watcher):
        from tfx_hf.pipelines import local_runner
        from tfx_hf.pipelines.cli import run_summary

        pipeline = precedence.pipeline_arguments(
            args, file_config, provided=("pipeline_name", "pipeline_root", "push_destination"))
        watcher.watch(run_output.metadata_path(output),
                      pipeline.get("pipeline_name", local_runner.DEFAULT_PIPELINE_NAME))
        summary = local_runner.run_text_classification(output, **options, **pipeline)
        path = run_summary.write_summary(summary, output, pipeline)
        printing.run_summary(summary, path, file=console.out)
        return summary

    return session.run("run", output, args.verbose, work)
