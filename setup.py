"""Package `tfx-hf`: installs components/ as tfx_hf.components and pipelines/ as tfx_hf.pipelines.

Versions come from constraints.txt, the one place the stack is pinned (pip cannot resolve
TFX's dependency set by itself in reasonable time, so that file is a full lock), so that
`pip install .`, the Makefile and the Docker image all install the same set.
"""
import os

import setuptools
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
# Installed into site-packages: sets TF_USE_LEGACY_KERAS=1 at interpreter start, so tf.keras is
# Keras 2 in every process (Beam workers, subprocesses) whatever is imported first.
LEGACY_KERAS_PTH = "tfx_hf_legacy_keras.pth"

# What the package imports directly; their versions are read from constraints.txt.
DIRECT_DEPENDENCIES = [
    "tfx[kfp]",
    "tensorflow",
    "tf-keras",
    "tensorflow-text",
    "tensorflow-transform",
    "tensorflow-model-analysis",
    "tfx-bsl",
    "transformers",
    "tokenizers",
    "datasets",
    "huggingface_hub",
    "pyarrow",
    "numpy",
    "jinja2",      # the run report (pipelines/report)
    "matplotlib",  # its plots
    "rich",        # the `tfx-hf` console: component lines, the training's progress bar
]


def _pins():
    """{canonical name: its Requirement} for every line of constraints.txt."""
    pins = {}
    with open(os.path.join(HERE, "constraints.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                pin = Requirement(line)
                pins[canonicalize_name(pin.name)] = pin
    return pins


def _requirements():
    """DIRECT_DEPENDENCIES, each with its version specifier from constraints.txt."""
    pins = _pins()
    out = []
    for dependency in DIRECT_DEPENDENCIES:
        pin = pins.get(canonicalize_name(Requirement(dependency).name))
        out.append(dependency + (str(pin.specifier) if pin else ""))
    return out


class BuildPyWithPth(build_py):
    """Adds the legacy-Keras .pth file to the top of the built tree (site-packages)."""

    def run(self):
        super().run()
        self.copy_file(os.path.join(HERE, "components", LEGACY_KERAS_PTH),
                       os.path.join(self.build_lib, LEGACY_KERAS_PTH))

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [
            os.path.join(self.build_lib, LEGACY_KERAS_PTH)]


setuptools.setup(
    name="tfx-hf",
    version="0.1.0",
    description="TFX components that take a Hugging Face dataset and checkpoint to a blessed, "
                "pushed, end-to-end TensorFlow SavedModel.",
    python_requires=">=3.9,<3.11",
    # `tfx_hf` holds only the artifact types' import names (tfx_hf/__init__.py); its two
    # sub-packages live in components/ and pipelines/.
    package_dir={
        "tfx_hf": "tfx_hf",
        "tfx_hf.components": "components",
        "tfx_hf.pipelines": "pipelines",
    },
    packages=["tfx_hf"] + ["tfx_hf.components" + p[len("components"):].replace(os.sep, ".")
       for p in setuptools.find_packages(".", include=["components", "components.*"])]
    + ["tfx_hf.pipelines" + p[len("pipelines"):].replace(os.sep, ".")
       for p in setuptools.find_packages(".", include=["pipelines", "pipelines.*"])],
    include_package_data=True,
    # The run report's HTML template, read from beside its module.
    package_data={"tfx_hf.pipelines.report": ["*.html.j2"]},
    install_requires=_requirements(),
    extras_require={"test": ["pytest", "sentencepiece", "dockerfile-parse", "ruff",
                             "seqeval"]},
    cmdclass={"build_py": BuildPyWithPth},
    entry_points={"console_scripts": ["tfx-hf = tfx_hf.pipelines.cli:main"]},
)
