"""The Beam pipeline args every Beam component of the pipeline gets, for `run` and `compile`.

Beam itself is imported inside the functions: the `tfx-hf` command reads this module's names to
build its flags, and `tfx-hf --help` must answer without loading Beam.
"""
from typing import List, Optional, Sequence

from tfx_hf.pipelines.config import ConfigError

# The image docker/Dockerfile builds, under its default tag: the pipeline image of `compile`
# unless another is named, and a Beam worker image (it has this package installed).
DEFAULT_IMAGE = "tfx-hf:latest"
# Beam's own default DirectRunner mode, and the fastest on small data: on a 2-core machine the
# whole pipeline took 60 s in_memory and 97 s multi_processing with 2 workers.
DEFAULT_BEAM_MODE = "in_memory"
# multi_processing pays off on large inputs only.
BEAM_MODES = (DEFAULT_BEAM_MODE, "multi_processing")


def _direct_runner_args(mode: Optional[str], num_workers: Optional[int]) -> List[str]:
    """Only what differs from the DirectRunner's defaults is written."""
    args = []
    if mode is not None and mode != DEFAULT_BEAM_MODE:
        args.append(f"--direct_running_mode={mode}")
    if num_workers:
        args.append(f"--direct_num_workers={int(num_workers)}")
    return args


def _check_no_contradiction(options, mode: Optional[str], num_workers: Optional[int]) -> None:
    """`extra` comes last and Beam takes the last value of a flag, so a mode or worker count
    that `extra` sets otherwise would silently win: refuse it, naming both."""
    from apache_beam.options.pipeline_options import DirectOptions

    direct = options.view_as(DirectOptions)
    if mode is not None and direct.direct_running_mode != mode:
        raise ConfigError(f"beam_mode={mode!r} (--beam-mode) contradicts "
                          f"--direct_running_mode={direct.direct_running_mode} in the Beam args: "
                          "give the mode once.")
    if num_workers and direct.direct_num_workers != int(num_workers):
        raise ConfigError(f"beam_workers={num_workers} (--beam-workers) contradicts "
                          f"--direct_num_workers={direct.direct_num_workers} in the Beam args: "
                          "give the number of workers once.")


def _names_dependencies(options) -> bool:
    """Whether the args tell workers where this package comes from, by the options TFX's
    `dependency_utils.make_beam_dependency_flags` looks for: without one, TFX builds and ships
    an sdist of TFX itself (not of tfx_hf) for every Beam executor."""
    from apache_beam.options.pipeline_options import SetupOptions, WorkerOptions

    setup, worker = options.view_as(SetupOptions), options.view_as(WorkerOptions)
    return any((setup.extra_packages, setup.setup_file, setup.requirements_file,
                worker.sdk_container_image, worker.worker_harness_container_image))


def beam_pipeline_args(mode: Optional[str] = None, num_workers: Optional[int] = None,
                       extra: Sequence[str] = (),
                       worker_image: Optional[str] = None) -> List[str]:
    """The components' Beam args: the DirectRunner's mode and workers, then `extra` as given.

    `mode` (one of BEAM_MODES; None: as `extra` says, else Beam's in_memory) and `num_workers`
    apply to the DirectRunner; one that `extra` contradicts is refused. With
    `--runner=DataflowRunner` (or any runner that is not the DirectRunner) in `extra`, they
    do not apply, and workers need this package: an `--sdk_container_image` in `extra`
    (docker/Dockerfile) or `worker_image`, else this raises.
    """
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    if mode is not None and mode not in BEAM_MODES:
        raise ConfigError(f"beam_mode={mode!r}: use one of {BEAM_MODES}.")
    extra = list(extra or [])
    runner = PipelineOptions(extra).view_as(StandardOptions).runner
    is_direct = runner is None or runner.lower() in ("direct", "directrunner")
    args = (_direct_runner_args(mode, num_workers) if is_direct else []) + extra
    options = PipelineOptions(args)
    if is_direct:
        _check_no_contradiction(options, mode, num_workers)
    if args and not _names_dependencies(options):
        if worker_image:
            args.append(f"--sdk_container_image={worker_image}")
        elif is_direct:
            # Never used by the DirectRunner; stops TFX from building an sdist per executor.
            args.append(f"--sdk_container_image={DEFAULT_IMAGE}")
        else:
            raise ConfigError(
                f"Beam runner {runner!r} runs workers elsewhere and they need this package: "
                "pass --beam-arg=--sdk_container_image=IMAGE with the image built from "
                "docker/Dockerfile (it is also a Beam worker image).")
    return args
