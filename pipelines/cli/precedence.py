"""Where a command's settings come from, lowest first: the config file, `--set`, the specific
flags. A setting given nowhere is left out, so that the function it is for
(create_pipeline, run_text_classification, compile_pipeline, submit) applies its own default.
"""
import argparse
from typing import Any, Dict, Iterable, List, Mapping

from tfx_hf.pipelines import config
from tfx_hf.pipelines.cli.flags import PIPELINE_FLAGS, parse_splits


def given_flags(args: argparse.Namespace, names: Iterable[str]) -> Dict[str, Any]:
    """The flags among `names` that were given on the command line."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def string_list(value: Any, where: str) -> List[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise config.ConfigError(f"{where} must be a list of strings, e.g. "
                                 "[--runner=DataflowRunner].")
    return value


def beam_args(section: Mapping[str, Any], args: argparse.Namespace, where: str) -> List[str]:
    """The config section's `beam_args`, then the `--beam-arg` flags."""
    return string_list(section.get("beam_args"), where) + (args.beam_arg or [])


def pipeline_arguments(args: argparse.Namespace, file_config: Mapping[str, Any],
                       provided: Iterable[str] = ()) -> Dict[str, Any]:
    """create_pipeline's arguments: the config's `pipeline` section < `--set` < the specific
    flags, each key checked against create_pipeline's signature. A required argument must be
    given unless the command provides it (`provided`)."""
    # Only here: building the parser must not import TFX.
    from tfx_hf.pipelines.text_classification import create_pipeline

    from_file = file_config["pipeline"]
    config.check_pipeline_section(from_file, create_pipeline, f"{args.config}: pipeline")
    from_set = config.parse_assignments(args.set, "--set")
    config.check_pipeline_section(from_set, create_pipeline, "--set")
    from_flags = given_flags(args, PIPELINE_FLAGS)
    if "splits" in from_flags:
        from_flags["splits"] = parse_splits(from_flags["splits"])
    arguments = config.merged(config.merged(from_file, from_set), from_flags)
    for key in config.required_pipeline_keys(create_pipeline):
        if key not in arguments and key not in provided:
            raise config.ConfigError(f"{key} is not set: pass {PIPELINE_FLAGS[key][0]} or set "
                                     f"pipeline.{key} in --config.")
    return arguments
