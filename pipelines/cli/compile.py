"""`tfx-hf compile`: the pipeline as a Vertex AI PipelineJob or a Kubeflow Pipelines 2.x
PipelineSpec."""
import argparse
from typing import Any, Dict

from tfx_hf.pipelines import config
from tfx_hf.pipelines.beam_args import DEFAULT_IMAGE
from tfx_hf.pipelines.cli import flags, precedence, printing
from tfx_hf.pipelines.targets import TARGETS

# compile.vertex_trainer key → its type and help; each is the flag --vertex-trainer-KEY.
VERTEX_TRAINER_FLAGS = {
    "project": (str, "GCP project of the CustomJob"),
    "region": (str, "e.g. europe-west4"),
    "machine_type": (str, "e.g. n1-standard-16"),
    "accelerator_type": (str, "e.g. NVIDIA_TESLA_T4, NVIDIA_L4, NVIDIA_A100_80GB"),
    "accelerator_count": (int, "accelerators per replica (default 1 with an accelerator_type)"),
    "replica_count": (int, "machines (1 chief + workers)"),
    "image": (str, "the job's image (default: HFTrainer's --component-image or --image)"),
    "service_account": (str, "the job's service account"),
}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "compile", help="compile the pipeline for Vertex AI Pipelines or Kubeflow Pipelines 2.x")
    flags.add_pipeline_flags(parser)
    parser.add_argument("--target", choices=TARGETS, default=None,
                        help="vertex: a PipelineJob (.json); kubeflow: a bare PipelineSpec "
                        "with schema 2.1.0 (.yaml); default: from --output's suffix")
    parser.add_argument("--output", default=None, help="the file to write (local or gs://)")
    parser.add_argument("--image", default=None,
                        help=f"the pipeline image (default {DEFAULT_IMAGE})")
    parser.add_argument("--component-image", action="append", metavar="COMPONENT=IMAGE",
                        help="another image for one component, e.g. HFTrainer=...-gpu:1")
    parser.add_argument("--resources", action="append",
                        metavar="COMPONENT=cpu=N,memory=NG,accelerator_type=T,accelerator_count=N",
                        help="CPU, memory and accelerator limits for one component")
    parser.add_argument("--display-name", default=None, help="the Vertex display name")
    vertex_trainer = parser.add_argument_group(
        "Vertex AI Trainer", "train in a Vertex AI CustomJob (HFVertexTrainer) instead of in "
        "the pipeline step")
    for key, (kind, help_) in VERTEX_TRAINER_FLAGS.items():
        vertex_trainer.add_argument("--vertex-trainer-" + key.replace("_", "-"), type=kind,
                                    default=None, dest="vertex_trainer_" + key, help=help_)
    flags.add_beam_arg_flag(parser)
    parser.set_defaults(execute=execute)


def compile_options(args: argparse.Namespace, section: Dict[str, Any]) -> Dict[str, Any]:
    """The compile section < flags; images, resources and vertex_trainer merge per key."""
    options = config.merged({"image": DEFAULT_IMAGE, **section}, precedence.given_flags(
        args, ("target", "output", "image", "display_name")))
    if not options.get("output"):
        raise config.ConfigError("No output file: pass --output (.json for Vertex, .yaml for "
                                 "KFP) or set compile.output in --config.")
    images = dict(section.get("images") or {})
    images.update({k: str(v) for k, v in
                   config.parse_assignments(args.component_image, "--component-image").items()})
    resources = {k: dict(v or {}) for k, v in (section.get("resources") or {}).items()}
    flags.check_resources(resources, "compile.resources:")
    flag_resources = config.parse_resources(args.resources)
    flags.check_resources(flag_resources, "--resources")
    for component, spec in flag_resources.items():
        resources.setdefault(component, {}).update(spec)
    vertex_trainer = config.merged(section.get("vertex_trainer") or {}, {
        key: getattr(args, "vertex_trainer_" + key) for key in VERTEX_TRAINER_FLAGS})
    options.update(images=images, resources=resources, vertex_trainer=vertex_trainer or None,
                   beam_args=precedence.beam_args(section, args, "compile.beam_args"))
    return options


def execute(args: argparse.Namespace) -> None:
    from tfx_hf.pipelines import vertex

    file_config = config.load(args.config)
    options = compile_options(args, file_config["compile"])
    pipeline = precedence.pipeline_arguments(args, file_config, provided=("pipeline_name",))
    printing.written(vertex.compile_pipeline(options.pop("output"), **options, **pipeline))
