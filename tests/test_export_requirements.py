"""assets.extra/requirements.txt: written as pins, read back as {canonical name: version}."""
import pytest

from tfx_hf.components.export import requirements


def test_written_pins_read_back(tmp_path):
    requirements.write_requirements(str(tmp_path), {"tensorflow": "2.16.2",
                                                    "tensorflow-text": "2.16.1"})
    assert (tmp_path / "assets.extra" / "requirements.txt").read_text() == \
        "tensorflow==2.16.2\ntensorflow-text==2.16.1\n"
    assert requirements.read_requirements(str(tmp_path)) == {
        "tensorflow": "2.16.2", "tensorflow-text": "2.16.1"}


def test_no_file_is_none(tmp_path):
    assert requirements.read_requirements(str(tmp_path)) is None


def test_names_are_canonical_and_only_pins_count():
    text = ("# exported by tfx-hf\n\nTensorflow_Text == 2.16.1  # the ops\n"
            "numpy>=1.26\nprotobuf\nfoo===1.0\n")
    assert requirements.parse_requirements(text) == {"tensorflow-text": "2.16.1", "foo": "1.0"}


def test_a_line_that_is_no_requirement_is_named():
    with pytest.raises(requirements.RequirementsError,
                       match="requirements.txt line 2 is not a pip requirement"):
        requirements.parse_requirements("tensorflow==2.16.2\ntensorflow text==2.16.1\n")
