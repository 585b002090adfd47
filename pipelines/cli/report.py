"""`tfx-hf report`: rebuild OUTPUT/report.html from a run's MLMD store and artifacts."""
import argparse

from tfx_hf.pipelines.cli import printing


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "report", help="rebuild the HTML run report of a run's output folder",
        description="Rebuilds OUTPUT/report.html (dataset, token lengths, training curves, "
        "evaluation, blessing, pushes, versions, wall time) from the newest run in OUTPUT.")
    parser.add_argument("output", help="the --output folder of `tfx-hf run` or `tfx-hf demo`")
    parser.add_argument("--run", default=None, dest="run_id",
                        help="the id of an earlier run in OUTPUT (as a report names it; "
                        "default: the newest)")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.pipelines.report import write_report

    printing.written(write_report(args.output, args.run_id))
