"""Pipeline config files: one reviewed YAML file carries what the `tfx-hf` flags carry.

```yaml
pipeline:        # keyword arguments of create_pipeline(), checked against its signature
  pipeline_name: bbc-news
  dataset: SetFit/bbc-news
  checkpoint: gs://bucket/checkpoints/minilm
  splits: {train: train, test: eval}
  train_steps: 500
run:             # tfx-hf run
  runner: local            # or beam
  output: runs/bbc
  beam_mode: in_memory     # or multi_processing
  beam_workers: 2
  beam_args: []
compile:         # tfx-hf compile
  target: vertex           # or kubeflow
  output: pipeline.json
  image: REGION-docker.pkg.dev/PROJECT/REPO/tfx-hf:1
  images: {HFTrainer: REGION-docker.pkg.dev/PROJECT/REPO/tfx-hf-gpu:1}
  resources: {HFTrainer: {cpu: 8, memory: 32G, accelerator_type: NVIDIA_TESLA_T4,
                          accelerator_count: 1}}
  vertex_trainer: {project: p, region: europe-west4, machine_type: n1-standard-8,
                   accelerator_type: NVIDIA_TESLA_T4, accelerator_count: 1, replica_count: 1}
  beam_args: [--runner=DataflowRunner, --project=p, --region=europe-west4,
              --temp_location=gs://bucket/tmp]
submit:          # tfx-hf submit
  target: vertex
  project: p
  region: europe-west4
```

Flags override the file. The `pipeline` section takes any keyword of `create_pipeline` except
those a command sets itself (COMMAND_OWNED), so a new create_pipeline option is a config key
(and a `--set KEY=VALUE` flag) without further code.
"""
import inspect
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

import yaml

from tfx_hf.components.input_error import InputError

RUN_KEYS = ("runner", "output", "beam_mode", "beam_workers", "beam_args")
COMPILE_KEYS = ("target", "output", "image", "images", "resources", "vertex_trainer",
                "beam_args", "display_name")
SUBMIT_KEYS = ("target", "pipeline_file", "project", "region", "pipeline_root",
               "service_account", "display_name", "enable_caching", "labels", "network",
               "host", "experiment", "namespace", "run_name", "parameters")
SECTIONS = {"pipeline": None, "run": RUN_KEYS, "compile": COMPILE_KEYS, "submit": SUBMIT_KEYS}
RESOURCE_KEYS = ("cpu", "memory", "accelerator_type", "accelerator_count")
VERTEX_TRAINER_KEYS = ("project", "region", "machine_type", "accelerator_type",
                       "accelerator_count", "replica_count", "image", "service_account")

# create_pipeline arguments that belong to a command, and where to give them instead.
COMMAND_OWNED = {
    "beam_pipeline_args": "run.beam_args / compile.beam_args (--beam-arg)",
    "metadata_path": "nothing: `run` keeps MLMD under run.output",
    "validate": "nothing: `run` validates inputs, `compile` does not",
    "vertex_training": "compile.vertex_trainer (--vertex-trainer-*)",
}


class ConfigError(InputError):
    """A config file or flag that does not fit: the message names it and what to do."""


def load(path: Optional[str]) -> Dict[str, Dict[str, Any]]:
    """Reads and checks a config file; every section is present (empty when not given)."""
    config: Dict[str, Dict[str, Any]] = {name: {} for name in SECTIONS}
    if not path:
        return config
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"Config file {path!r}: {e.strerror}.") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"Config file {path!r} is not valid YAML: {e}") from e
    if data is None:
        return config
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path!r}: the top level must be a mapping of sections "
                          f"{sorted(SECTIONS)}.")
    for section, body in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"Config file {path!r}: unknown section {section!r}; known "
                              f"sections: {sorted(SECTIONS)}.")
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"Config file {path!r}: section {section!r} must be a mapping.")
        known = SECTIONS[section]
        if known is not None:
            check_keys(body, known, f"{path}: {section}")
        config[section] = dict(body)
    return config


def check_keys(given: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: "
                          f"{', '.join(sorted(known))}.")


def pipeline_keys(factory: Callable[..., Any]) -> List[str]:
    """The keyword arguments of `factory` (create_pipeline) a config may set."""
    return [name for name, p in inspect.signature(factory).parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and name not in COMMAND_OWNED]


def pipeline_defaults(factory: Callable[..., Any]) -> Dict[str, Any]:
    """The default of each keyword argument of `factory` that has one: what a key given
    nowhere comes to."""
    return {name: p.default for name, p in inspect.signature(factory).parameters.items()
            if p.default is not p.empty}


def required_pipeline_keys(factory: Callable[..., Any]) -> List[str]:
    return [name for name, p in inspect.signature(factory).parameters.items()
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def check_pipeline_section(section: Mapping[str, Any], factory: Callable[..., Any],
                           where: str = "pipeline") -> None:
    """Each key must be a keyword argument of `factory`; the error lists the known ones."""
    for key in section:
        if key in COMMAND_OWNED:
            raise ConfigError(f"{where}: {key!r} is set by the command; give "
                              f"{COMMAND_OWNED[key]}.")
    check_keys(section, pipeline_keys(factory), where)


def parse_assignments(items: Optional[List[str]], flag: str) -> Dict[str, Any]:
    """`["train_steps=5", "splits={train: train}"]` → {"train_steps": 5, "splits": {...}};
    values are read as YAML, so numbers, booleans, lists and mappings keep their types."""
    out: Dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} {item!r}: write KEY=VALUE.")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise ConfigError(f"{flag} {item!r}: the value is not valid YAML ({e}).") from e
    return out


def parse_resources(items: Optional[List[str]]) -> Dict[str, Dict[str, Any]]:
    """`--resources HFTrainer=cpu=8,memory=32G,accelerator_type=NVIDIA_TESLA_T4,
    accelerator_count=1` → {"HFTrainer": {"cpu": 8, ...}}."""
    out: Dict[str, Dict[str, Any]] = {}
    for item in items or []:
        component, sep, spec = item.partition("=")
        if not sep or not component or not spec:
            raise ConfigError(f"--resources {item!r}: write COMPONENT=cpu=N,memory=NG,"
                              "accelerator_type=TYPE,accelerator_count=N.")
        out[component] = parse_assignments(spec.split(","), f"--resources {component}")
        check_keys(out[component], RESOURCE_KEYS, f"--resources {component}")
    return out


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> Dict[str, Any]:
    """`base` with every override that is not None (a flag that was not given)."""
    out = dict(base)
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out
