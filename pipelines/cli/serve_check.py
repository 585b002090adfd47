"""`tfx-hf serve-check`: will a pushed model run on a model server that has only TensorFlow
and TensorFlow Text?"""
import argparse
import os

from tfx_hf.pipelines.cli import flags, printing


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "serve-check", help="check that a pushed model serves with only TensorFlow and "
        "TensorFlow Text (ops, requirements, sample requests); prints a JSON report")
    parser.add_argument("model_dir", help="a SavedModel folder or a push destination")
    parser.add_argument("--text", action="append", metavar="TEXT",
                        help="a sample request text (repeatable; default: a few built-in "
                        "ones: empty, non-ASCII, very long, invalid UTF-8)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds the checking process may take")
    flags.add_allow_op_flag(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    """1 when the model fails the check."""
    from tfx_hf.components.export import serve_check

    texts = [os.fsencode(t) for t in args.text] if args.text else None  # bytes as typed
    timeout = {"timeout": args.timeout} if args.timeout is not None else {}
    # check() takes a push destination too: it checks the newest version.
    report = serve_check.check(args.model_dir, texts, allow_ops=args.allow_op or (), **timeout)
    printing.serve_check_report(report)
    return 0 if report["ok"] else 1
