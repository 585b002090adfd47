"""`tfx-hf rehearse`: a compiled pipeline run here, step by step, before it goes to a cluster."""
import argparse

from tfx_hf.pipelines import config


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "rehearse", help="run a compiled Vertex/Kubeflow pipeline here, each step's own "
        "container command, before submitting it")
    parser.add_argument("pipeline_file", metavar="FILE",
                        help="what `tfx-hf compile` wrote: a Vertex PipelineJob (.json) or a "
                        "KFP PipelineSpec (.yaml)")
    parser.add_argument("--pipeline-root", default=None,
                        help="a local folder for the steps' outputs and the rehearsals' records "
                        "(default: the file's own pipeline root, if local)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="a runtime parameter of the pipeline (value read as YAML)")
    parser.add_argument("--set", action="append", metavar="STEP.PARAMETER=VALUE",
                        help="replace one step's input parameter for this rehearsal, e.g. "
                        "--set 'HFTrainer.train_args={num_steps: 2}' or "
                        "--set HFDatasetExampleGen.dataset=/local/copy")
    parser.add_argument("--allow-cloud", action="store_true",
                        help="send the Google Cloud requests (Vertex AI CustomJob, endpoint "
                        "deployment) instead of recording them")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.pipelines.rehearsal import runner

    result = runner.rehearse(
        args.pipeline_file, pipeline_root=args.pipeline_root,
        params=config.parse_assignments(args.param, "--param"),
        sets=config.parse_assignments(args.set, "--set"), allow_cloud=args.allow_cloud)
    print(f"Rehearsed {len(result.steps)} steps; outputs and rehearsal.json in "
          f"{result.run_dir}", flush=True)
