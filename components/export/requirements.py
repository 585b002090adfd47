"""`assets.extra/requirements.txt` of a serving model: the versions of the packages whose ops
it runs, pinned as pip writes them (`tensorflow-text==2.16.1`).

A model server must carry the tensorflow-text ops of the version the model was exported with;
serve-check and the Hub pusher's model card read the pins back from here.
"""
import os
from typing import Dict, Mapping, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tfx_hf.components.contracts import REQUIREMENTS_FILE, assets_extra_path
from tfx_hf.components.input_error import InputError

PINNING_OPERATORS = ("==", "===")


class RequirementsError(InputError):
    """A requirements.txt line that is not a pip requirement."""


def requirements_path(saved_model_dir: str) -> str:
    return assets_extra_path(saved_model_dir, REQUIREMENTS_FILE)


def write_requirements(saved_model_dir: str, versions: Mapping[str, str]) -> None:
    """Pins each package of `versions` ({name: version}) to its version."""
    import tensorflow as tf  # gfile: local and gs://; parsing alone needs no TensorFlow

    path = requirements_path(saved_model_dir)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.gfile.GFile(path, "w") as f:
        f.write("".join(f"{name}=={version}\n" for name, version in versions.items()))


def parse_requirements(text: str, source: str = REQUIREMENTS_FILE) -> Dict[str, str]:
    """{canonical name: version} of the pinned (`==`) requirements in a requirements.txt's
    text; requirements with ranges or without versions are left out."""
    pins = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as e:
            raise RequirementsError(f"{source} line {number} is not a pip requirement: "
                                    f"{str(e).splitlines()[0]}") from None
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in PINNING_OPERATORS:
            pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def read_requirements(saved_model_dir: str) -> Optional[Dict[str, str]]:
    """{canonical name: version} pinned in the model's requirements.txt; None without one."""
    import tensorflow as tf  # gfile: local and gs://; parsing alone needs no TensorFlow

    path = requirements_path(saved_model_dir)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return parse_requirements(f.read(), path)
