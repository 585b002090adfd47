"""The `tfx-hf` command: demo, run, predict, compile."""
import argparse
import json
import os
import sys
from typing import Dict, List, Optional

DEMO_SENTENCES = [
    "The central bank raised interest rates again as inflation squeezed company profits.",
    "The striker scored twice in the second half to send his club to the cup final.",
    "The prime minister faces a vote in parliament over the new immigration bill.",
    "The new smartphone chip runs machine learning models twice as fast on battery.",
    "The actress won an award for her role in the film at the festival on Sunday.",
]


class UsageError(Exception):
    """Bad input found before or while running: printed as one line, exit status 2."""


def _splits(text: Optional[str]) -> Optional[Dict[str, str]]:
    """`train=train,validation=eval` → {"train": "train", "validation": "eval"}."""
    if not text:
        return None
    try:
        return dict(part.split("=", 1) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--splits {text!r}: write HF_SPLIT=TFX_SPLIT pairs, comma-separated, "
                         "e.g. train=train,test=eval.")


def _add_training_flags(parser: argparse.ArgumentParser, train_steps: int) -> None:
    parser.add_argument("--output", default="tfx_hf_output", help="folder for all outputs")
    parser.add_argument("--train-steps", type=int, default=train_steps)
    parser.add_argument("--max-length", type=int, default=128, help="tokenizer max_length")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--min-accuracy", type=float, default=0.5,
                        help="eval accuracy a model needs to be blessed and pushed")
    parser.add_argument("--beam-mode", choices=["in_memory", "multi_processing"],
                        default="in_memory")
    parser.add_argument("--beam-workers", type=int, default=None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfx-hf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="fine-tune MiniLM on BBC News with the full pipeline")
    _add_training_flags(demo, train_steps=150)
    demo.set_defaults(output="demo_output", min_accuracy=0.9)

    run = commands.add_parser("run", help="the same pipeline on your own dataset and checkpoint")
    run.add_argument("--dataset", required=True, help="Hub id, save_to_disk folder or data file")
    run.add_argument("--dataset-config", default=None, help="the dataset's config name")
    run.add_argument("--checkpoint", required=True, help="local checkpoint folder")
    run.add_argument("--text-column", default="text")
    run.add_argument("--label-column", default="label")
    run.add_argument("--splits", default=None,
                     help="HF_SPLIT=TFX_SPLIT,... (default: hash-split 'train' 2:1)")
    run.add_argument("--invalid-utf8", choices=["error", "replace"], default="error",
                     help="bytes that are not UTF-8 in csv/json/txt files: stop, or read as U+FFFD")
    _add_training_flags(run, train_steps=100)

    predict = commands.add_parser("predict", help="label texts with an exported or pushed model")
    predict.add_argument("model_dir", help="a SavedModel folder or a push destination")
    predict.add_argument("texts", nargs="+")

    compile_ = commands.add_parser("compile", help="compile the pipeline for Vertex AI / KFP")
    compile_.add_argument("--output", required=True,
                          help=".json: a Vertex PipelineJob; .yaml: a KFP 2.x PipelineSpec")
    compile_.add_argument("--dataset", required=True)
    compile_.add_argument("--checkpoint", required=True)
    compile_.add_argument("--pipeline-root", required=True, help="e.g. gs://bucket/root")
    compile_.add_argument("--push-destination", required=True)
    compile_.add_argument("--image", default="tfx-hf:latest", help="the pipeline image")
    compile_.add_argument("--text-column", default="text")
    compile_.add_argument("--label-column", default="label")
    compile_.add_argument("--splits", default=None)
    compile_.add_argument("--train-steps", type=int, default=100)
    compile_.add_argument("--max-length", type=int, default=128)
    compile_.add_argument("--min-accuracy", type=float, default=0.5)
    return parser


def _training_kwargs(args) -> dict:
    return dict(max_length=args.max_length, batch_size=args.batch_size,
                learning_rate=args.learning_rate, train_steps=args.train_steps,
                min_accuracy=args.min_accuracy, beam_mode=args.beam_mode,
                beam_workers=args.beam_workers)


def _finish(summary: dict, output: str, max_length: int) -> None:
    from tfx_hf.pipelines import results  # pylint: disable=g-import-not-at-top

    model = summary.get("pushed_model") or summary.get("model")
    summary["max_length"] = max_length
    summary["predictions"] = results.predict(model, DEMO_SENTENCES) if model else []
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"\nEval accuracy: {summary['accuracy']}")
    print(f"Blessed: {summary['blessed']}")
    print(f"Pushed model: {summary['pushed_model'] or 'not pushed (not blessed)'}")
    print(f"Rows per split: {summary.get('row_counts')}; took {summary.get('seconds')} s")
    for p in summary["predictions"]:
        print(f"  {p['label']:>14} {p['probability']:.2f}  {p['text']}")
    print(f"Summary: {os.path.join(output, 'summary.json')}")


def _demo(args) -> None:
    from tfx_hf.pipelines import demo_data, local_runner  # pylint: disable=g-import-not-at-top

    output = os.path.abspath(args.output)
    dataset, report = demo_data.build_bbc_news_dataset(os.path.join(output, "data"))
    print(f"BBC News: {report}")
    summary = local_runner.run_text_classification(
        output, dataset=dataset, checkpoint=demo_data.minilm_checkpoint(),
        pipeline_name="tfx-hf-demo", splits={"train": "train", "test": "eval"},
        **_training_kwargs(args))
    summary["dataset"] = report
    _finish(summary, output, args.max_length)


def _run(args) -> None:
    from tfx_hf.pipelines import local_runner  # pylint: disable=g-import-not-at-top

    output = os.path.abspath(args.output)
    summary = local_runner.run_text_classification(
        output, dataset=args.dataset, checkpoint=args.checkpoint,
        text_feature=args.text_column, label_feature=args.label_column,
        splits=_splits(args.splits), config_name=args.dataset_config,
        invalid_utf8=args.invalid_utf8, **_training_kwargs(args))
    _finish(summary, output, args.max_length)


def _latest_version(model_dir: str) -> str:
    """A push destination holds numbered versions: take the newest."""
    if os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        return model_dir
    versions = [d for d in os.listdir(model_dir) if d.isdigit()] if os.path.isdir(model_dir) else []
    if not versions:
        raise UsageError(f"{model_dir!r} is neither a SavedModel nor a push destination with "
                         "numbered versions.")
    return os.path.join(model_dir, max(versions, key=int))


def _predict(args) -> None:
    from tfx_hf.pipelines import results  # pylint: disable=g-import-not-at-top

    for p in results.predict(_latest_version(args.model_dir), args.texts):
        print(f"{p['label']}\t{p['probability']:.4f}\t{p['text']}")


def _compile(args) -> None:
    from tfx_hf.pipelines import vertex  # pylint: disable=g-import-not-at-top

    path = vertex.compile_pipeline(
        args.output, image=args.image, pipeline_root=args.pipeline_root, dataset=args.dataset,
        checkpoint=args.checkpoint, push_destination=args.push_destination,
        text_feature=args.text_column, label_feature=args.label_column,
        splits=_splits(args.splits), train_steps=args.train_steps, max_length=args.max_length,
        min_accuracy=args.min_accuracy)
    print(f"Wrote {path}")


def main(argv: Optional[List[str]] = None) -> int:
    import tfx_hf.components  # noqa: F401  pylint: disable=g-import-not-at-top  (legacy Keras)
    from tfx_hf.pipelines import errors  # pylint: disable=g-import-not-at-top

    args = _parser().parse_args(argv)
    if args.command in ("demo", "run"):
        from absl import logging  # pylint: disable=g-import-not-at-top
        logging.set_verbosity(logging.INFO)  # TFX's and the training progress lines
    try:
        {"demo": _demo, "run": _run, "predict": _predict, "compile": _compile}[args.command](args)
    except (UsageError,) + errors.INPUT_ERRORS as e:
        print(f"tfx-hf {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
