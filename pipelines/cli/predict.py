"""`tfx-hf predict`: label texts with an exported or pushed model."""
import argparse

from tfx_hf.pipelines.cli import printing


def add_parser(commands) -> None:
    parser = commands.add_parser("predict", help="label texts with an exported or pushed model")
    parser.add_argument("model_dir", help="a SavedModel folder or a push destination")
    parser.add_argument("texts", nargs="+")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.components.contracts import latest_version
    from tfx_hf.components.export.predict import predict

    printing.predictions(predict(latest_version(args.model_dir), args.texts))
