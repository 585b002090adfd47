"""docker/Dockerfile builds on TFX's own image and installs the one pin list (constraints.txt),
so the image, setup.py and `make` install the same versions."""
import os
import re

from test_packaging import REPO, _pins

DOCKERFILE = open(os.path.join(REPO, "docker", "Dockerfile")).read()


def _arg(name):
    match = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE, re.M)
    assert match, f"ARG {name}=... missing in docker/Dockerfile"
    return match.group(1)


def test_base_image_and_beam_boot_match_the_pins():
    pins = _pins()
    assert _arg("TFX_VERSION") == pins["tfx"]
    assert "FROM gcr.io/tfx-oss-public/tfx:${TFX_VERSION}" in DOCKERFILE
    # The Beam worker boot binary comes from the SDK image of the Beam version we pin.
    assert _arg("BEAM_VERSION") == pins["apache-beam"]
    assert "FROM apache/beam_python3.10_sdk:${BEAM_VERSION} AS beam-worker" in DOCKERFILE
    assert "COPY --from=beam-worker /opt/apache/beam /opt/apache/beam" in DOCKERFILE


def test_installs_this_package_with_the_same_pins_as_setup_py():
    # setup.py reads its versions from constraints.txt; the image installs with it.
    assert "COPY constraints.txt setup.py ./" in DOCKERFILE
    assert re.search(r"pip install -c constraints\.txt \.", DOCKERFILE)
    assert "constraints.txt" in open(os.path.join(REPO, "setup.py")).read()
    # No version pinned in the Dockerfile itself that could drift from constraints.txt.
    pins = _pins()
    for name, version in re.findall(r"([A-Za-z0-9_.\-]+)==([0-9][^\s\"'\\]*)", DOCKERFILE):
        assert pins.get(name.lower().replace("_", "-")) == version, (name, version)


def test_runtime_settings():
    assert re.search(r"ENV\s+TF_USE_LEGACY_KERAS[= ]1", DOCKERFILE)
    # Dataflow starts workers through the Beam boot binary.
    assert DOCKERFILE.rstrip().endswith('ENTRYPOINT ["/opt/apache/beam/boot"]')
    # The executors that KFP/Vertex and the Vertex Trainer's CustomJob import by class path.
    for module in ("tfx_hf.components.trainer.executor",
                   "tfx_hf.components.vertex_trainer.executor",
                   "tfx_hf.components.hf_dataset_example_gen.executor",
                   "tfx_hf.components.evaluation.executor", "tfx_hf.components.evaluation.metrics",
                   "tfx_hf.components.pusher.executor", "tfx_hf.components.hf_hub_pusher.executor"):
        assert module in DOCKERFILE
