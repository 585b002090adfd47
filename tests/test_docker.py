"""docker/Dockerfile, read as Docker reads it (dockerfile-parse; no Docker engine runs here):
its base images are the pinned TFX and Beam, everything it copies is in the build context,
it installs this package with constraints.txt, every process in it gets legacy Keras, and its
build check imports every executor that a compiled pipeline runs in it."""
import ast
import fnmatch
import os
import shlex

import pytest
from dockerfile_parse import DockerfileParser

from test_packaging import REPO, constraint_pins, setup_arguments

DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
# What `pip install .` reads besides the package folders (setup.py reads constraints.txt).
BUILD_FILES = ("pyproject.toml", "setup.py", "constraints.txt")


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(DOCKERFILE, build_args={})


def _final_stage(dockerfile):
    """The instructions after the last FROM: what the pushed image is made of."""
    structure = dockerfile.structure
    last_from = max(i for i, step in enumerate(structure) if step["instruction"] == "FROM")
    return structure[last_from + 1:]


def _instructions(dockerfile, name):
    return [step["value"] for step in _final_stage(dockerfile) if step["instruction"] == name]


def _commands(dockerfile):
    """Every shell command the final stage RUNs, as argument lists."""
    commands = []
    for run in _instructions(dockerfile, "RUN"):
        command = []
        for token in shlex.shlex(run, posix=True, punctuation_chars=True):
            if token in ("&&", "||", ";", "(", ")"):
                commands.append(command)
                command = []
            else:
                command.append(token)
        commands.append(command)
    return [c for c in commands if c]


def _dockerignore_patterns():
    with open(os.path.join(REPO, ".dockerignore")) as f:
        lines = [line.strip() for line in f]
    return [line for line in lines if line and not line.startswith("#")]


def _ignored(path: str, patterns) -> bool:
    """Whether Docker leaves `path` (relative, '/'-separated) out of the build context: a
    pattern matches the path or one of its parent folders; a later `!pattern` takes it back;
    `**` spans folders, `*` does not."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(_matches(candidate, pattern) for candidate in candidates):
            ignored = not keep
    return ignored


def _matches(path: str, pattern: str) -> bool:
    if pattern.startswith("**/"):
        rest = pattern[3:]
        names = path.split("/")
        return any(_matches("/".join(names[i:]), rest) for i in range(len(names)))
    names, pieces = path.split("/"), pattern.split("/")
    return len(names) == len(pieces) and all(
        fnmatch.fnmatchcase(name, piece) for name, piece in zip(names, pieces))


def _context_files(source: str):
    """The files under `source` (a file or folder of the repository) Docker would send."""
    path = os.path.join(REPO, source)
    if os.path.isfile(path):
        return [source]
    return [os.path.relpath(os.path.join(root, name), REPO).replace(os.sep, "/")
            for root, _, names in os.walk(path) for name in names]


def test_base_images_are_the_pinned_tfx_and_beam(dockerfile):
    pins = constraint_pins()
    assert dockerfile.parent_images == [
        f"apache/beam_python3.10_sdk:{pins['apache-beam']}",  # the Beam worker boot binary
        f"gcr.io/tfx-oss-public/tfx:{pins['tfx']}"]
    assert "--from=beam-worker /opt/apache/beam /opt/apache/beam" in _instructions(
        dockerfile, "COPY")
    # Dataflow starts workers through the Beam boot binary.
    assert _instructions(dockerfile, "ENTRYPOINT") == ['["/opt/apache/beam/boot"]']


def test_every_copied_source_is_in_the_build_context(dockerfile):
    patterns = _dockerignore_patterns()
    copied = []
    for copy in _instructions(dockerfile, "COPY"):
        args = shlex.split(copy)
        if any(arg.startswith("--from=") for arg in args):
            continue  # from another stage, not from the context
        for source in args[:-1]:
            assert os.path.exists(os.path.join(REPO, source)), f"COPY {source}: not in the repo"
            files = [f for f in _context_files(source) if not _ignored(f, patterns)]
            assert files, f"COPY {source}: everything in it is excluded by .dockerignore"
            copied += files
    # What `pip install .` needs: the build files and every file of both packages.
    for name in BUILD_FILES:
        assert name in copied, f"{name} is not copied into the image"
    for folder in setup_arguments()["package_dir"].values():
        sources = [f for f in _context_files(folder) if f.endswith(".py")]
        assert sources and set(sources) <= set(copied), folder


def test_dockerignore_matching():
    patterns = ["**/__pycache__", "*.egg-info", ".venv"]
    assert _ignored("components/export/__pycache__/x.pyc", patterns)
    assert _ignored("__pycache__/x.pyc", patterns)
    assert _ignored("tfx_hf.egg-info/PKG-INFO", patterns)
    assert not _ignored("components/a.egg-info/PKG-INFO", patterns)  # `*` is one level
    assert _ignored(".venv/bin/python", patterns)
    assert not _ignored("keep/.venv", patterns)  # patterns start at the context's root
    assert not _ignored("keep/.venv", ["**/.venv", "!keep/.venv"])  # a later `!` takes it back
    assert not _ignored("components/executor.py", patterns)


def test_installs_this_package_with_constraints_txt(dockerfile):
    pip_installs = [c for c in _commands(dockerfile) if c[1:4] == ["-m", "pip", "install"]]
    assert pip_installs, "the image installs nothing with pip"
    workdir = _instructions(dockerfile, "WORKDIR")[-1]
    for command in pip_installs:
        assert "-c" in command and command[command.index("-c") + 1] == "constraints.txt", \
            f"{shlex.join(command)} does not install with constraints.txt"
    assert any(c[-1] == "." for c in pip_installs)  # this package, from WORKDIR
    assert workdir == "/opt/tfx-hf"
    # No version pinned in the Dockerfile itself that could drift from constraints.txt.
    assert not any("==" in token for command in pip_installs for token in command)


def test_every_process_gets_legacy_keras(dockerfile):
    # ENV holds for every process the image starts (executors, Beam workers, CustomJobs);
    # the build check below asserts tf.keras is tf_keras there.
    assert dockerfile.envs["TF_USE_LEGACY_KERAS"] == "1"


def _build_check_imports(dockerfile):
    """The modules the build's `python -c` checks import: the build fails if one does not."""
    modules = set()
    for command in _commands(dockerfile):
        if command[:2] == ["python", "-c"]:
            for node in ast.walk(ast.parse(command[2])):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
    return modules


def test_build_imports_every_executor_a_compiled_pipeline_runs(dockerfile, tmp_path):
    from tfx_hf.pipelines import vertex

    # Every optional step on, so that every executor of ours is named.
    path = vertex.compile_pipeline(
        str(tmp_path / "pipeline.json"), image="tfx-hf:test", pipeline_root="gs://b/root",
        dataset="SetFit/bbc-news", checkpoint="gs://b/checkpoint",
        push_destination="gs://b/serving", target="vertex",
        vertex_trainer={"project": "p", "region": "europe-west4"},
        vertex_endpoint={"project_id": "p", "region": "europe-west4", "endpoint_name": "e"},
        hub_repo_id="acme/news-classifier")
    spec, _ = vertex.read_compiled(path)
    class_paths = set(vertex.executor_class_paths(spec).values())
    ours = {p.rpartition(".")[0] for p in class_paths if p.startswith("tfx_hf.")}
    assert {"tfx_hf.components.vertex_trainer.executor",
            "tfx_hf.components.hf_hub_pusher.executor"} <= ours
    unchecked = ours - _build_check_imports(dockerfile)
    assert not unchecked, f"not imported by the image's build check: {sorted(unchecked)}"
    # And they import here, where the same pins are installed (TFX's own too).
    assert vertex.check_compiled(path, "vertex", import_executors=True) == []
