"""The `tfx-hf` command: demo, run, predict, serve-check, compile, submit."""
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

    run = commands.add_parser(
        "run", help="the same pipeline on your own dataset and checkpoint, here")
    _add_pipeline_flags(run)
    run.add_argument("--output", default=None, help="folder for MLMD, the pipeline root and "
                     f"the pushed model (default {RUN_DEFAULTS['output']})")
    run.add_argument("--runner", choices=["local", "beam"], default=None,
                     help="LocalDagRunner (default) or BeamDagRunner")
    run.add_argument("--beam-mode", choices=["in_memory", "multi_processing"], default=None,
                     help="DirectRunner mode: in_memory (default; small data) or "
                     "multi_processing (large data)")
    run.add_argument("--beam-workers", type=int, default=None,
                     help="DirectRunner workers (--direct_num_workers)")
    _add_beam_arg_flag(run)

    predict = commands.add_parser("predict", help="label texts with an exported or pushed model")
    predict.add_argument("model_dir", help="a SavedModel folder or a push destination")
    predict.add_argument("texts", nargs="+")

    serve_check = commands.add_parser(
        "serve-check", help="check that a pushed model serves with only TensorFlow and "
        "TensorFlow Text (ops, requirements, sample requests); prints a JSON report")
    serve_check.add_argument("model_dir", help="a SavedModel folder or a push destination")
    serve_check.add_argument("--text", action="append", metavar="TEXT",
                             help="a sample request text (repeatable; default: a few built-in "
                             "ones: empty, non-ASCII, very long, invalid UTF-8)")
    serve_check.add_argument("--timeout", type=float, default=600,
                             help="seconds the checking process may take")

    compile_ = commands.add_parser(
        "compile", help="compile the pipeline for Vertex AI Pipelines or Kubeflow Pipelines 2.x")
    _add_pipeline_flags(compile_)
    compile_.add_argument("--target", choices=["vertex", "kubeflow"], default=None,
                          help="vertex: a PipelineJob (.json); kubeflow: a bare PipelineSpec "
                          "with schema 2.1.0 (.yaml); default: from --output's suffix")
    compile_.add_argument("--output", default=None, help="the file to write (local or gs://)")
    compile_.add_argument("--image", default=None,
                          help=f"the pipeline image (default {COMPILE_DEFAULTS['image']})")
    compile_.add_argument("--component-image", action="append", metavar="COMPONENT=IMAGE",
                          help="another image for one component, e.g. HFTrainer=...-gpu:1")
    compile_.add_argument("--resources", action="append",
                          metavar="COMPONENT=cpu=N,memory=NG,accelerator_type=T,accelerator_count=N",
                          help="CPU, memory and accelerator limits for one component")
    compile_.add_argument("--display-name", default=None, help="the Vertex display name")
    vertex_trainer = compile_.add_argument_group(
        "Vertex AI Trainer", "train in a Vertex AI CustomJob (HFVertexTrainer) instead of in "
        "the pipeline step")
    for key, kind, help_ in VERTEX_TRAINER_FLAGS:
        vertex_trainer.add_argument("--vertex-trainer-" + key.replace("_", "-"), type=kind,
                                    default=None, dest="vertex_trainer_" + key, help=help_)
    _add_beam_arg_flag(compile_)

    submit = commands.add_parser(
        "submit", help="send a compiled pipeline to Vertex AI or a Kubeflow Pipelines host")
    submit.add_argument("pipeline_file", nargs="?", default=None,
                        help="the compiled .json/.yaml (default: submit.pipeline_file or "
                        "compile.output of --config)")
    submit.add_argument("--config", default=None, help="a pipeline config file (YAML)")
    submit.add_argument("--target", choices=["vertex", "kubeflow"], default=None,
                        help="default: vertex for .json, kubeflow for .yaml")
    submit.add_argument("--pipeline-root", default=None, help="override the compiled root")
    submit.add_argument("--service-account", default=None)
    submit.add_argument("--cache", dest="enable_caching", action="store_true", default=None,
                        help="reuse cached step results")
    submit.add_argument("--no-cache", dest="enable_caching", action="store_false")
    submit.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="a runtime parameter value")
    vertex = submit.add_argument_group("Vertex AI")
    vertex.add_argument("--project", default=None)
    vertex.add_argument("--region", default=None)
    vertex.add_argument("--display-name", default=None)
    vertex.add_argument("--label", action="append", metavar="KEY=VALUE")
    vertex.add_argument("--network", default=None, help="VPC network for the job")
    kubeflow = submit.add_argument_group("Kubeflow Pipelines")
    kubeflow.add_argument("--host", default=None, help="the KFP API endpoint")
    kubeflow.add_argument("--experiment", default=None)
    kubeflow.add_argument("--namespace", default=None)
    kubeflow.add_argument("--run-name", default=None)
    return parser


# Flags of `run` and `compile` that set create_pipeline arguments (dest → keyword).
PIPELINE_FLAGS = {"dataset": "dataset", "dataset_config": "config_name",
                  "checkpoint": "checkpoint", "text_column": "text_feature",
                  "label_column": "label_feature", "splits": "splits",
                  "invalid_utf8": "invalid_utf8", "train_steps": "train_steps",
                  "max_length": "max_length", "batch_size": "batch_size",
                  "learning_rate": "learning_rate", "min_accuracy": "min_accuracy",
                  "pipeline_name": "pipeline_name", "pipeline_root": "pipeline_root",
                  "push_destination": "push_destination"}
# Defaults of the command where they differ from create_pipeline's; the config file and flags
# override them.
RUN_DEFAULTS = {"output": "tfx_hf_output", "runner": "local", "beam_mode": "in_memory",
                "learning_rate": 1e-4}
COMPILE_DEFAULTS = {"image": "tfx-hf:latest"}
VERTEX_TRAINER_FLAGS = [
    ("project", str, "GCP project of the CustomJob"),
    ("region", str, "e.g. europe-west4"),
    ("machine_type", str, "default n1-standard-8"),
    ("accelerator_type", str, "e.g. NVIDIA_TESLA_T4, NVIDIA_L4, NVIDIA_A100_80GB"),
    ("accelerator_count", int, "accelerators per replica"),
    ("replica_count", int, "machines (1 chief + workers); default 1"),
    ("image", str, "the job's image (default: HFTrainer's --component-image or --image)"),
    ("service_account", str, "the job's service account"),
]


def _add_pipeline_flags(parser: argparse.ArgumentParser) -> None:
    """Flags for create_pipeline arguments. None means "not given": the config file or the
    defaults decide."""
    parser.add_argument("--config", default=None,
                        help="a pipeline config file (YAML; see tfx_hf.pipelines.config); "
                        "flags override it")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="any create_pipeline argument, value read as YAML "
                        "(e.g. --set 'splits={train: train, test: eval}')")
    parser.add_argument("--dataset", default=None, help="Hub id, save_to_disk folder or data file")
    parser.add_argument("--dataset-config", default=None, help="the dataset's config name")
    parser.add_argument("--checkpoint", default=None, help="checkpoint folder (or gs:// path)")
    parser.add_argument("--text-column", default=None, help="default: text")
    parser.add_argument("--label-column", default=None, help="default: label")
    parser.add_argument("--splits", default=None,
                        help="HF_SPLIT=TFX_SPLIT,... (default: hash-split 'train' 2:1)")
    parser.add_argument("--invalid-utf8", choices=["error", "replace"], default=None,
                        help="bytes that are not UTF-8 in csv/json/txt files: stop (default), "
                        "or read as U+FFFD")
    parser.add_argument("--train-steps", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=None, help="tokenizer max_length")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--min-accuracy", type=float, default=None,
                        help="eval accuracy a model needs to be blessed and pushed")
    parser.add_argument("--pipeline-name", default=None)
    parser.add_argument("--pipeline-root", default=None, help="e.g. gs://bucket/root")
    parser.add_argument("--push-destination", default=None)


def _add_beam_arg_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--beam-arg", action="append", metavar="ARG",
                        help="a Beam pipeline arg for every Beam component, passed through "
                        "(e.g. --beam-arg=--runner=DataflowRunner --beam-arg=--project=P "
                        "--beam-arg=--region=R --beam-arg=--temp_location=gs://B/tmp "
                        "--beam-arg=--sdk_container_image=IMAGE); after the config's beam_args")


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
    if summary.get("accuracy") is not None:
        print(f"\nEval accuracy: {summary['accuracy']}")
    print(f"Eval metrics: {json.dumps(summary.get('metrics') or {})}")
    print(f"Blessed: {summary['blessed']}")
    print(f"Pushed model: {summary['pushed_model'] or 'not pushed (not blessed)'}")
    print(f"Rows per split: {summary.get('row_counts')}; took {summary.get('seconds')} s")
    for p in summary["predictions"]:
        print(f"  {p['summary']:>20}  {p['text']}")
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


def _string_list(value, where: str) -> List[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of strings, e.g. [--runner=DataflowRunner].")
    return value


def _pipeline_kwargs(args, file_config: dict, defaults: dict, provided: tuple = ()) -> dict:
    """create_pipeline's arguments: the command's defaults < the config's `pipeline` section <
    --set < the specific flags. Keys are checked against create_pipeline's signature."""
    from tfx_hf.pipelines import config  # pylint: disable=g-import-not-at-top
    from tfx_hf.pipelines.text_classification import create_pipeline  # pylint: disable=g-import-not-at-top

    from_file = file_config["pipeline"]
    config.check_pipeline_section(from_file, create_pipeline, f"{args.config}: pipeline")
    from_set = config.parse_assignments(args.set, "--set")
    config.check_pipeline_section(from_set, create_pipeline, "--set")
    flags = {key: getattr(args, dest) for dest, key in PIPELINE_FLAGS.items()}
    flags["splits"] = _splits(flags["splits"])
    kwargs = config.merged(config.merged(config.merged(
        {k: v for k, v in defaults.items() if k in config.pipeline_keys(create_pipeline)},
        from_file), from_set), flags)
    for key in config.required_pipeline_keys(create_pipeline):
        if key not in kwargs and key not in provided:
            flag = next((d for d, k in PIPELINE_FLAGS.items() if k == key), key)
            raise UsageError(f"{key} is not set: pass --{flag.replace('_', '-')} or set "
                             f"pipeline.{key} in --config.")
    return kwargs


def _run(args) -> None:
    from tfx_hf.pipelines import config, local_runner  # pylint: disable=g-import-not-at-top

    file_config = config.load(args.config)
    config.check_keys(file_config["run"], config.RUN_KEYS, f"{args.config}: run")
    options = config.merged(config.merged(RUN_DEFAULTS, file_config["run"]), {
        "output": args.output, "runner": args.runner, "beam_mode": args.beam_mode,
        "beam_workers": args.beam_workers})
    beam_args = (_string_list(file_config["run"].get("beam_args"), "run.beam_args")
                 + (args.beam_arg or []))
    pipeline = _pipeline_kwargs(args, file_config, RUN_DEFAULTS,
                                provided=("pipeline_name", "pipeline_root", "push_destination"))
    output = os.path.abspath(options["output"])
    summary = local_runner.run_text_classification(
        output, runner=options["runner"], beam_mode=options["beam_mode"],
        beam_workers=options.get("beam_workers"), beam_args=beam_args, **pipeline)
    _finish(summary, output, pipeline.get("max_length", 128))


def _latest_version(model_dir: str) -> str:
    """A push destination holds numbered versions: take the newest."""
    from tfx_hf.pipelines import serve_check  # pylint: disable=g-import-not-at-top

    try:
        return serve_check.latest_version(model_dir)
    except serve_check.ModelDirError as e:
        raise UsageError(str(e))


def _predict(args) -> None:
    from tfx_hf.pipelines import results  # pylint: disable=g-import-not-at-top

    for p in results.predict(_latest_version(args.model_dir), args.texts):
        print(f"{p['summary']}\t{p['text']}")


def _serve_check(args) -> int:
    from tfx_hf.pipelines import serve_check  # pylint: disable=g-import-not-at-top

    texts = [os.fsencode(t) for t in args.text] if args.text else None  # bytes as typed
    report = serve_check.check(_latest_version(args.model_dir), texts, timeout=args.timeout)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for warning in report["warnings"]:
        print(f"tfx-hf serve-check: warning: {warning}", file=sys.stderr)
    for error in report["errors"]:
        print(f"tfx-hf serve-check: FAILED: {error}", file=sys.stderr)
    return 0 if report["ok"] else 1


def _compile_options(args, file_config: dict) -> dict:
    """The compile section < flags; images, resources and vertex_trainer merge per key."""
    from tfx_hf.pipelines import config  # pylint: disable=g-import-not-at-top

    section = file_config["compile"]
    config.check_keys(section, config.COMPILE_KEYS, f"{args.config}: compile")
    options = config.merged(config.merged(COMPILE_DEFAULTS, section), {
        "target": args.target, "output": args.output, "image": args.image,
        "display_name": args.display_name})
    if not options.get("output"):
        raise UsageError("No output file: pass --output (.json for Vertex, .yaml for KFP) or "
                         "set compile.output in --config.")
    images = dict(section.get("images") or {})
    images.update({k: str(v) for k, v in
                   config.parse_assignments(args.component_image, "--component-image").items()})
    resources = {k: dict(v or {}) for k, v in (section.get("resources") or {}).items()}
    for component, spec in config.parse_resources(args.resources).items():
        resources.setdefault(component, {}).update(spec)
    vertex_trainer = config.merged(section.get("vertex_trainer") or {}, {
        key: getattr(args, "vertex_trainer_" + key) for key, _, _ in VERTEX_TRAINER_FLAGS})
    options.update(
        images=images, resources=resources, vertex_trainer=vertex_trainer or None,
        beam_args=(_string_list(section.get("beam_args"), "compile.beam_args")
                   + (args.beam_arg or [])))
    return options


def _compile(args) -> None:
    from tfx_hf.pipelines import config, vertex  # pylint: disable=g-import-not-at-top

    file_config = config.load(args.config)
    options = _compile_options(args, file_config)
    pipeline = _pipeline_kwargs(args, file_config, COMPILE_DEFAULTS, provided=("pipeline_name",))
    path = vertex.compile_pipeline(options.pop("output"), **options, **pipeline)
    print(f"Wrote {path}")


def _submit(args) -> None:
    from tfx_hf.pipelines import config, submit  # pylint: disable=g-import-not-at-top

    file_config = config.load(args.config)
    section = file_config["submit"]
    config.check_keys(section, config.SUBMIT_KEYS, f"{args.config}: submit")
    options = config.merged(section, {
        "target": args.target, "pipeline_root": args.pipeline_root,
        "service_account": args.service_account, "enable_caching": args.enable_caching,
        "project": args.project, "region": args.region, "display_name": args.display_name,
        "network": args.network, "host": args.host, "experiment": args.experiment,
        "namespace": args.namespace, "run_name": args.run_name})
    if args.label:
        options["labels"] = {**(section.get("labels") or {}),
                             **config.parse_assignments(args.label, "--label")}
    if args.param:
        options["parameters"] = {**(section.get("parameters") or {}),
                                 **config.parse_assignments(args.param, "--param")}
    pipeline_file = (args.pipeline_file or options.pop("pipeline_file", None)
                     or file_config["compile"].get("output"))
    options.pop("pipeline_file", None)
    if not pipeline_file:
        raise UsageError("No pipeline file: name the compiled .json/.yaml, or set "
                         "submit.pipeline_file or compile.output in --config.")
    submitted = submit.submit(pipeline_file, **options)
    print(f"Submitted {pipeline_file}: {submitted}")


def main(argv: Optional[List[str]] = None) -> int:
    import tfx_hf.components  # noqa: F401  pylint: disable=g-import-not-at-top  (legacy Keras)
    from tfx_hf.pipelines import errors  # pylint: disable=g-import-not-at-top

    from tfx_hf.pipelines.config import ConfigError  # pylint: disable=g-import-not-at-top

    args = _parser().parse_args(argv)
    if args.command in ("demo", "run"):
        from absl import logging  # pylint: disable=g-import-not-at-top
        logging.set_verbosity(logging.INFO)  # TFX's and the training progress lines
    try:
        status = {"demo": _demo, "run": _run, "predict": _predict, "compile": _compile,
                  "submit": _submit, "serve-check": _serve_check}[args.command](args)
    except (UsageError, ConfigError) + errors.INPUT_ERRORS as e:
        print(f"tfx-hf {args.command}: error: {e}", file=sys.stderr)
        return 2
    return status or 0  # serve-check: 1 when the model fails the check


if __name__ == "__main__":
    sys.exit(main())
