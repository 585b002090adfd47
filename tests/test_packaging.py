"""Packaging: import names, legacy Keras in every process, the console script, one pin list."""
import os
import runpy
import subprocess
import sys
from importlib import metadata
from unittest import mock

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code, env=None):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout.strip().splitlines()[-1]


def _without_legacy_keras_variable():
    return {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}


@pytest.mark.slow
def test_tf_keras_is_keras_2_whatever_is_imported_first():
    # A fresh interpreter not told anything (as a Beam worker or any subprocess starts), and
    # TensorFlow first, before any tfx_hf module: the installed .pth has set the flag.
    out = _python("import tensorflow as tf; print(tf.keras.layers.Dense.__module__)",
                  _without_legacy_keras_variable())
    assert out.startswith("tf_keras."), out


def test_importing_the_package_leaves_the_environment_alone():
    # The .pth sets the variable at interpreter start; the package must not set it again.
    out = _python("import os; del os.environ['TF_USE_LEGACY_KERAS']; "
                  "import tfx_hf.components, tfx_hf.pipelines; "
                  "print(os.environ.get('TF_USE_LEGACY_KERAS', 'unset'))",
                  _without_legacy_keras_variable())
    assert out == "unset"


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


def constraint_pins():
    """{canonical name: version} of constraints.txt, where every line is an exact pin."""
    pins = {}
    with open(os.path.join(REPO, "constraints.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                requirement = Requirement(line)
                (specifier,) = requirement.specifier
                assert specifier.operator == "==", f"constraints.txt: {line!r} is not a pin"
                pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def setup_arguments():
    """What setup.py passes to setuptools.setup, without building anything."""
    with mock.patch("setuptools.setup") as setup:
        runpy.run_path(os.path.join(REPO, "setup.py"))
    return setup.call_args.kwargs


def test_package_requirements_and_installed_versions_come_from_constraints():
    pins = constraint_pins()
    # The installed metadata, as `pip install` wrote it from setup.py (extras aside).
    requires = {canonicalize_name(r.name): r for r in map(Requirement, metadata.requires("tfx-hf"))
                if r.marker is None}
    direct = [canonicalize_name(Requirement(r).name)
              for r in setup_arguments()["install_requires"]]
    assert set(requires) == set(direct)
    for name, requirement in requires.items():
        assert str(requirement.specifier) == f"=={pins[name]}", requirement
    assert requires["tfx"].extras == {"kfp"}
    for name, version in pins.items():
        assert metadata.version(name) == version, name


@pytest.mark.slow
def test_wheel_holds_both_packages_the_pth_and_the_command(tmp_path):
    """What `pip install .` installs (the test env itself is an editable install)."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), REPO], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("tfx_hf-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    # The .pth goes to the top of site-packages, where the interpreter reads it at start.
    with open(os.path.join(REPO, "components", "tfx_hf_legacy_keras.pth"), "rb") as f:
        assert archive.read("tfx_hf_legacy_keras.pth") == f.read()
    # Every module of both folders, under the namespaced names only.
    for package, folder in setup_arguments()["package_dir"].items():
        for root, _, files in os.walk(os.path.join(REPO, folder)):
            for name in files:
                if name.endswith(".py"):
                    relative = os.path.relpath(os.path.join(root, name), os.path.join(REPO, folder))
                    assert f"{package.replace('.', '/')}/{relative}" in names, relative
    assert not any(n.startswith(("components/", "pipelines/", "tests/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tfx-hf = tfx_hf.pipelines.cli:main" in archive.read(entry_points).decode()
