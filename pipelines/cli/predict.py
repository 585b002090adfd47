"""`tfx-hf predict`: label texts with an exported or pushed model."""
import argparse
import os

from tfx_hf.components.input_error import InputError
from tfx_hf.pipelines.cli import flags, printing


def add_parser(commands) -> None:
    parser = commands.add_parser("predict", help="label texts with an exported or pushed model")
    parser.add_argument("model_dir", help="a SavedModel folder or a push destination")
    parser.add_argument("texts", nargs="+")
    flags.add_allow_op_flag(parser)
    parser.add_argument("--trust-model", action="store_true",
                        help="load and call the model without checking its ops first (only "
                        "for a model you trust: its ops may read or write files)")
    parser.set_defaults(execute=execute)


def check_texts(texts) -> None:
    """Each text must be valid UTF-8: bytes that are not arrive here as surrogate escapes
    (os.fsdecode), which no model input can hold."""
    for number, text in enumerate(texts, 1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            code = ord(text[e.start])
            what = (f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF
                    else f"the lone surrogate U+{code:04X}")
            raw = os.fsencode(text) if 0xDC80 <= code <= 0xDCFF else text
            raise InputError(
                f"text {number} ({raw!r}) is not valid UTF-8 ({what} at character "
                f"{e.start}): pass UTF-8 text, e.g. convert it with `iconv -f latin1 -t "
                "utf-8`.") from None


def execute(args: argparse.Namespace) -> None:
    check_texts(args.texts)  # before TensorFlow is imported
    from tfx_hf.components.export.predict import predict

    printing.predictions(predict(args.model_dir, args.texts, allow_ops=args.allow_op or (),
                                 trust_model=args.trust_model))
