"""`tfx-hf submit`: a compiled pipeline to Vertex AI or a Kubeflow Pipelines host."""
import argparse

from tfx_hf.pipelines import config
from tfx_hf.pipelines.cli import precedence, printing
from tfx_hf.pipelines.targets import TARGETS

# Flags that set a key of the submit section of the same name.
OPTION_FLAGS = ("target", "pipeline_root", "service_account", "enable_caching", "project",
                "region", "display_name", "network", "host", "experiment", "namespace",
                "run_name")


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "submit", help="send a compiled pipeline to Vertex AI or a Kubeflow Pipelines host")
    parser.add_argument("pipeline_file", nargs="?", default=None,
                        help="the compiled .json/.yaml (default: submit.pipeline_file or "
                        "compile.output of --config)")
    parser.add_argument("--config", default=None, help="a pipeline config file (YAML)")
    parser.add_argument("--target", choices=TARGETS, default=None,
                        help="default: vertex for .json, kubeflow for .yaml")
    parser.add_argument("--pipeline-root", default=None, help="override the compiled root")
    parser.add_argument("--service-account", default=None)
    parser.add_argument("--cache", dest="enable_caching", action="store_true", default=None,
                        help="reuse cached step results")
    parser.add_argument("--no-cache", dest="enable_caching", action="store_false")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="a runtime parameter value")
    vertex = parser.add_argument_group("Vertex AI")
    vertex.add_argument("--project", default=None)
    vertex.add_argument("--region", default=None)
    vertex.add_argument("--display-name", default=None)
    vertex.add_argument("--label", action="append", metavar="KEY=VALUE")
    vertex.add_argument("--network", default=None, help="VPC network for the job")
    kubeflow = parser.add_argument_group("Kubeflow Pipelines")
    kubeflow.add_argument("--host", default=None, help="the KFP API endpoint")
    kubeflow.add_argument("--experiment", default=None)
    kubeflow.add_argument("--namespace", default=None)
    kubeflow.add_argument("--run-name", default=None)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.pipelines import submit

    file_config = config.load(args.config)
    section = dict(file_config["submit"])
    pipeline_file = (args.pipeline_file or section.pop("pipeline_file", None)
                     or file_config["compile"].get("output"))
    section.pop("pipeline_file", None)
    if not pipeline_file:
        raise config.ConfigError("No pipeline file: name the compiled .json/.yaml, or set "
                                 "submit.pipeline_file or compile.output in --config.")
    options = config.merged(section, precedence.given_flags(args, OPTION_FLAGS))
    if args.label:
        options["labels"] = {**(section.get("labels") or {}),
                             **config.parse_assignments(args.label, "--label")}
    if args.param:
        options["parameters"] = {**(section.get("parameters") or {}),
                                 **config.parse_assignments(args.param, "--param")}
    printing.submitted(pipeline_file, submit.submit(pipeline_file, **options))
