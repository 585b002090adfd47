"""Packaging: import names, legacy Keras in every process, the console script, one pin list."""
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code, env=None):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout.strip().splitlines()[-1]


def test_tf_keras_is_keras_2_whatever_is_imported_first():
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    # TensorFlow first, before any tfx_hf module: the installed .pth has already set the flag.
    out = _python("import tensorflow as tf; print(tf.keras.layers.Dense.__module__)", env)
    assert out.startswith("tf_keras."), out


def test_import_names_are_namespaced():
    out = _python("import tfx_hf.components, tfx_hf.pipelines; "
                  "print(tfx_hf.components.__file__, tfx_hf.pipelines.__file__)")
    assert os.path.join("components", "__init__.py") in out
    import importlib.util
    assert importlib.util.find_spec("components") is None or \
        "tfx_hf" not in str(importlib.util.find_spec("components").origin)


def test_console_script():
    tfx_hf = os.path.join(os.path.dirname(sys.executable), "tfx-hf")
    out = subprocess.run([tfx_hf, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("demo", "run", "predict", "compile", "submit"):
        assert command in out


def _pins():
    pins = {}
    with open(os.path.join(REPO, "constraints.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==")
                pins[name.lower().replace("_", "-")] = version
    return pins


def test_package_requirements_and_installed_versions_come_from_constraints():
    from importlib import metadata

    pins = _pins()
    requires = metadata.requires("tfx-hf")
    for name in ("tfx", "tensorflow", "tf-keras", "tensorflow-text", "transformers",
                 "datasets"):
        assert any(r.lower().replace("_", "-").startswith(f"{name}") and f"=={pins[name]}" in r
                   for r in requires), (name, requires)
    for name, version in pins.items():
        assert metadata.version(name) == version, name
    docker = open(os.path.join(REPO, "docker", "Dockerfile")).read()
    assert "constraints.txt" in docker
    assert re.search(r"ENV\s+TF_USE_LEGACY_KERAS[= ]1", docker)


def test_wheel_holds_both_packages_the_pth_and_the_command(tmp_path):
    """What `pip install .` installs (the test env itself is an editable install)."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), REPO], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("tfx_hf-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tfx_hf_legacy_keras.pth" in names
    assert "tfx_hf/components/hf_dataset_example_gen/executor.py" in names
    assert "tfx_hf/pipelines/cli.py" in names
    assert not any(n.startswith(("components/", "pipelines/", "tests/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tfx-hf = tfx_hf.pipelines.cli:main" in zipfile.ZipFile(wheel).read(
        entry_points).decode()
