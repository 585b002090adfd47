"""TokenizerParityCheck: the in-graph tokenizer against the checkpoint's 🤗 fast tokenizer on the
run's own Examples (executor Do on prepared and hand-written artifacts), the non-ASCII-first
sample, a real mismatch (a checkpoint whose tokenizer files 🤗 and the in-graph reader read
differently), the pipeline wiring, and the certificate in summary.json, the report and the
model card."""
import dataclasses
import json
import os
import shutil

import pytest
import tensorflow as tf
from tfx.types import artifact_utils, channel, standard_artifacts

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task import TaskConfig
from tfx_hf.components.tokenizer_parity import certificate, executor, parity
from tfx_hf.components.tokenizer_parity.artifact import TokenizerParity
from tfx_hf.components.tokenizer_parity.component import TokenizerParityCheck
from tfx_hf.pipelines.text_classification import create_pipeline

NON_ASCII = ["Café naïve résumé match", "Straße GROẞ team", "bank \ufffd profit",
             "中文 market", "Ünïcödé score"]


def _examples(root, splits):
    """An Examples artifact of gzipped tf.Examples, {split: [text or (text, pair)]}."""
    examples = standard_artifacts.Examples()
    examples.uri = str(root)
    examples.split_names = artifact_utils.encode_split_names(list(splits))
    for split, rows in splits.items():
        folder = os.path.join(examples.uri, f"Split-{split}")
        os.makedirs(folder)
        with tf.io.TFRecordWriter(os.path.join(folder, "data_tfrecord-00000-of-00001.gz"),
                                  options="GZIP") as writer:
            for row in rows:
                texts = row if isinstance(row, tuple) else (row,)
                feature = {name: tf.train.Feature(bytes_list=tf.train.BytesList(
                    value=[t.encode("utf-8") if isinstance(t, str) else t]))
                    for name, t in zip(("text", "text_b"), texts)}
                feature["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[0]))
                writer.write(tf.train.Example(features=tf.train.Features(
                    feature=feature)).SerializeToString())
    return examples


def _run(tmp_path, examples, config, sample_size=parity.DEFAULT_SAMPLE_SIZE, allow=False):
    """Runs the executor as TFX would (exec properties from the component); returns the
    output artifact."""
    component = TokenizerParityCheck(
        examples=channel.Channel(type=standard_artifacts.Examples), config=config,
        sample_size=sample_size, allow_tokenizer_mismatch=allow)
    output = TokenizerParity()
    output.uri = str(tmp_path / "parity")
    executor.Executor().Do({"examples": [examples]}, {"tokenizer_parity": [output]},
                           component.exec_properties)
    return output


def _case_folding_checkpoint(folder, tiny_checkpoint):
    """A real mismatch: a copy of the tiny uncased checkpoint whose tokenizer_config.json lists
    added tokens tokenizer.json lacks: each word of the vocabulary, capitalized ("Match").
    🤗's fast tokenizer adds them (raw-text tokens with new ids past the vocabulary); the
    in-graph reader takes tokenizer.json's added tokens only, so a capitalized word is
    lowercased to its vocabulary id in-graph. (Were the reader to learn this override too, this
    test must find another real divergence.)"""
    shutil.copytree(tiny_checkpoint, folder)
    with open(os.path.join(folder, "vocab.txt")) as f:
        words = [w for w in f.read().split() if w.isalpha()]
    path = os.path.join(folder, "tokenizer_config.json")
    with open(path) as f:
        config = json.load(f)
    for offset, word in enumerate(words):
        config["added_tokens_decoder"][str(len(words) + 1000 + offset)] = {
            "content": word.capitalize(), "lstrip": False, "normalized": False,
            "rstrip": False, "single_word": False, "special": False}
    with open(path, "w") as f:
        json.dump(config, f)
    return str(folder)


# --- the sample -------------------------------------------------------------------------------

def test_sample_takes_every_non_ascii_row_first_then_the_first_ascii_rows():
    rows = [(i, (b"plain %d" % i,)) for i in range(10)]
    rows[3] = (3, ("caf\u00e9".encode(),))
    rows[7] = (7, (b"ascii", b"pair \xff"))  # a non-ASCII byte in the pair counts
    rows[9] = (9, ("\u4e2d".encode(),))
    sample, read, non_ascii = parity.choose_sample(iter(rows), 5)
    assert [i for i, _ in sample] == [3, 7, 9, 0, 1]
    assert (read, non_ascii) == (10, 3)


def test_sample_stops_reading_once_it_has_enough_non_ascii_rows():
    def rows():
        for i in range(1_000_000):
            yield i, (("\u00e9 %d" % i).encode(),)
    sample, read, non_ascii = parity.choose_sample(rows(), 4)
    assert [i for i, _ in sample] == [0, 1, 2, 3] and read == 4 and non_ascii == 4


def test_read_text_rows_reads_split_files_in_order_with_pairs(tmp_path):
    examples = _examples(tmp_path / "ex", {"train": [("a", "b"), ("\u00e9", "c")]})
    rows = list(parity.read_text_rows(os.path.join(examples.uri, "Split-train"),
                                      ["text", "text_b"]))
    assert rows == [(0, (b"a", b"b")), (1, ("\u00e9".encode(), b"c"))]


# --- the executor -------------------------------------------------------------------------------

def test_identical_on_non_ascii_and_pairs(tmp_path, tiny_checkpoint):
    ascii_rows = [f"Match goal team {i}" for i in range(8)]
    examples = _examples(tmp_path / "ex", {
        "train": ascii_rows + NON_ASCII + [b"bad bytes \xff\xfe goal", ""],
        "eval": [(t, "The coach said.") for t in NON_ASCII[:3]]})
    single = TaskConfig(checkpoint=tiny_checkpoint, max_length=16)
    found = certificate.ParityCertificate.read(_run(tmp_path, examples, single, 6).uri)
    assert found.identical and found.exact_row_rate == 1.0
    # Non-ASCII first: train's 6 (the invalid bytes included), none of its ASCII rows; reading
    # stopped at the 6th, before train's last row ("").
    assert [(s.split, s.rows_compared, s.non_ascii_rows_compared, s.rows)
            for s in found.splits] == [("train", 6, 6, 14), ("eval", 3, 3, 3)]

    pairs = dataclasses.replace(single, text_pair_feature="text_b", max_length=8)
    output = _run(tmp_path / "pairs", examples, pairs)
    # train's rows have no text_b: the transform graph pairs them with "", and so does this.
    assert output.get_int_custom_property(certificate.EXACT_ROWS_PROPERTY) == 15 + 3
    assert output.get_float_custom_property(certificate.EXACT_ROW_RATE_PROPERTY) == 1.0


def test_mismatch_fails_naming_the_rows_and_passes_when_allowed(tmp_path, tiny_checkpoint):
    checkpoint = _case_folding_checkpoint(tmp_path / "cased_config", tiny_checkpoint)
    examples = _examples(tmp_path / "ex", {"train": ["match goal", "Match goal", "team",
                                                     "Team coach"]})
    config = TaskConfig(checkpoint=checkpoint, max_length=16)
    with pytest.raises(InputError) as error:
        _run(tmp_path / "strict", examples, config)
    message = str(error.value)
    assert "2 of 4 rows tokenize differently" in message and "0.5000" in message
    assert "train row 1 'Match goal'" in message and "train row 3 'Team coach'" in message
    assert "--allow-tokenizer-mismatch" in message
    # The file is written before the run stops: every differing row with both id lists.
    written = certificate.ParityCertificate.read(str(tmp_path / "strict" / "parity"))
    (first, second) = written.differing_rows
    assert first.row == 1 and first.in_graph_ids != first.hf_ids
    assert first.differing_outputs == ["input_ids"]
    with open(os.path.join(checkpoint, "vocab.txt")) as f:
        vocab_size = len(f.read().split("\n")) - 1
    # "Match": 🤗's added token (past the vocabulary), in-graph the vocabulary's "match".
    assert first.hf_ids[1] >= vocab_size > first.in_graph_ids[1]

    output = _run(tmp_path / "allowed", examples, config, allow=True)
    assert output.get_int_custom_property(certificate.EXACT_ROWS_PROPERTY) == 2
    assert output.get_int_custom_property(certificate.ROWS_COMPARED_PROPERTY) == 4
    assert output.get_int_custom_property(certificate.ALLOWED_MISMATCH_PROPERTY) == 1
    summary = certificate.ParityCertificate.read(output.uri).summary()
    assert summary["exact_row_rate"] == 0.5 and summary["mismatch_allowed"] is True
    assert [r["row"] for r in summary["differing_rows"]] == [1, 3]


def test_shared_examples_are_identical(tmp_path, topic_artifacts, topic_config):
    examples, _ = topic_artifacts
    output = _run(tmp_path, examples, topic_config)
    assert output.get_float_custom_property(certificate.EXACT_ROW_RATE_PROPERTY) == 1.0
    found = certificate.ParityCertificate.read(output.uri)
    # Every row of the small shared dataset (90 + 30), each split compared.
    assert {s.split: s.rows_compared for s in found.splits} == {"train": 90, "eval": 30}
    assert found.differing_rows == [] and found.max_length == topic_config.max_length


def test_the_in_graph_side_is_the_transform_graphs_tokenizer(tiny_checkpoint):
    """The parity check runs `preprocessing.tokenize` with `in_graph_tokenizer(config)`,
    which preprocessing_fn itself calls: same outputs on the same raw features."""
    from tfx_hf.components.transform import preprocessing

    config = TaskConfig(checkpoint=tiny_checkpoint, max_length=12)
    inputs = {"text": tf.constant([["Match goal"], ["caf\u00e9 team"]])}
    expected = preprocessing.preprocessing_fn(inputs, config.to_custom_config())
    ours, _ = parity.tokenize_both([(0, (b"Match goal",)), (1, ("caf\u00e9 team".encode(),))],
                                   config, preprocessing.in_graph_tokenizer(config),
                                   parity.hf_fast_tokenizer(tiny_checkpoint))
    for name, value in ours.items():
        assert (expected[name].numpy() == value).all(), name


# --- the pipeline -----------------------------------------------------------------------------

def test_create_pipeline_checks_parity_before_the_trainer(tmp_path):
    def nodes(**kwargs):
        pipeline = create_pipeline(
            pipeline_name="p", pipeline_root=str(tmp_path / "root"), dataset="unused",
            checkpoint="unused", push_destination=str(tmp_path / "push"), validate=False,
            hub_repo_id="me/model", **kwargs)
        return {c.id: c for c in pipeline.components}

    default = nodes()
    check = default["TokenizerParityCheck"]
    assert check in default["HFTrainer"].upstream_nodes
    assert check.inputs["examples"].producer_component_id == "HFDatasetExampleGen"
    assert json.loads(check.exec_properties["custom_config"])["checkpoint"] == "unused"
    assert check.exec_properties["allow_tokenizer_mismatch"] == 0
    assert check.exec_properties["sample_size"] == parity.DEFAULT_SAMPLE_SIZE
    assert default["HFHubPusher"].inputs["tokenizer_parity"].producer_component_id == \
        "TokenizerParityCheck"
    allowed = nodes(allow_tokenizer_mismatch=True, tokenizer_parity_sample_size=50)
    assert allowed["TokenizerParityCheck"].exec_properties["allow_tokenizer_mismatch"] == 1
    assert allowed["TokenizerParityCheck"].exec_properties["sample_size"] == 50
    with pytest.raises(InputError, match="tokenizer_parity_sample_size=0: must be an integer"):
        nodes(tokenizer_parity_sample_size=0)


def test_the_flag_reaches_create_pipeline():
    import argparse

    from tfx_hf.pipelines.cli import flags

    from tfx_hf.pipelines.cli import precedence

    parser = argparse.ArgumentParser()
    flags.add_pipeline_flags(parser)
    no_file = {"pipeline": {}}
    given = parser.parse_args(["--allow-tokenizer-mismatch"])
    assert precedence.pipeline_arguments(given, no_file, provided=(
        "pipeline_name", "pipeline_root", "dataset", "checkpoint", "push_destination"))[
        "allow_tokenizer_mismatch"] is True
    # Not given: create_pipeline's default applies; the key works in a config file or --set.
    assert parser.parse_args([]).allow_tokenizer_mismatch is None
    from_set = parser.parse_args(["--set", "allow_tokenizer_mismatch=true"])
    assert precedence.pipeline_arguments(from_set, no_file, provided=(
        "pipeline_name", "pipeline_root", "dataset", "checkpoint", "push_destination"))[
        "allow_tokenizer_mismatch"] is True


def test_model_card_shows_the_certificate():
    from tfx_hf.components.hf_hub_pusher import model_card

    found = certificate.ParityCertificate(
        checkpoint="c", max_length=8, text_features=["text"], sample_size=10,
        splits=[certificate.SplitParity("train", rows=10, rows_compared=10, exact_rows=9,
                                        non_ascii_rows_compared=3)],
        differing_rows=[certificate.DifferingRow("train", 4, "Ab`c", None, [2, 5, 3],
                                                 [2, 1, 3], ["input_ids"])],
        allow_tokenizer_mismatch=True)
    card = model_card.build_model_card(model_card.CardFacts(
        repo_id="me/m", revision="v1", tokenizer_parity=found.summary()))
    assert "## Tokenizer parity" in card and "Exact-row rate: **0.9000** (train 9/10)" in card
    assert "Differences were allowed" in card and "train row 4: `\"Ab'c\"`" in card
    assert "## Tokenizer parity" not in model_card.build_model_card(
        model_card.CardFacts(repo_id="me/m", revision="v1"))


def test_summary_and_report_of_a_run_hold_the_certificate(pipeline_run):
    output, summary = pipeline_run
    parity_summary = summary["tokenizer_parity"]
    assert parity_summary["exact_row_rate"] == 1.0 and parity_summary["rows_compared"] > 0
    assert parity_summary["mismatch_allowed"] is False
    from tfx_hf.pipelines.report.page import render_report

    html = render_report(output)
    assert 'id="parity-verdict"' in html and "1.0000" in html



def _record(tmp_path, state="COMPLETE", found=None):
    """A run record holding only the parity check (the other sections say they have no
    data)."""
    from tfx_hf.pipelines.report import run_record

    outputs = {}
    if found is not None:
        artifact = TokenizerParity()
        artifact.uri = str(tmp_path / "parity")
        artifact.id = 7
        found.write(artifact.uri)
        outputs = {"tokenizer_parity": [artifact]}
    return run_record.RunRecord(pipeline_name="p", run_id="r", components=[
        run_record.ComponentRun("TokenizerParityCheck", 2, state, 0.0, 1.0, {}, {}, outputs)])


def _page_text(record, tmp_path):
    import html
    import re

    from tfx_hf.pipelines.report import page

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.render_record(
        record, str(tmp_path)))))


def test_report_shows_rate_rows_and_the_differing_rows(tmp_path):
    found = certificate.ParityCertificate(
        checkpoint="ck", max_length=8, text_features=["text"], sample_size=2000,
        splits=[certificate.SplitParity("train", rows=60, rows_compared=50, exact_rows=48,
                                        non_ascii_rows_compared=12),
                certificate.SplitParity("eval", 10, 10, 10, 0)],
        differing_rows=[certificate.DifferingRow("train", 4, "Caf\u00e9 <b>x</b>", None,
                                                 [2, 5, 6, 3], [2, 1, 6, 3], ["input_ids"])],
        allow_tokenizer_mismatch=True)
    text = _page_text(_record(tmp_path, found=found), tmp_path)
    assert "Differences allowed exact-row rate 0.9667 : 58 of 60 rows" in text
    assert "train 60 50 12 48" in text and "eval 10 10 0 10" in text
    assert "train 4 Caf\u00e9 <b>x</b> 2 5 6 3 2 1 6 3 input_ids (from position 1)" in text
    assert "allow_tokenizer_mismatch" in text

    identical = dataclasses.replace(found, splits=found.splits[1:], differing_rows=[],
                                    allow_tokenizer_mismatch=False)
    text = _page_text(_record(tmp_path / "ok", found=identical), tmp_path)
    assert "Identical exact-row rate 1.0000 : 10 of 10 rows" in text
    assert "First differing rows" not in text

    text = _page_text(_record(tmp_path / "failed", state="FAILED"), tmp_path)
    assert "The tokenizer parity check failed : the run stopped before training" in text
    assert "No tokenizer parity certificate" in _page_text(
        dataclasses.replace(_record(tmp_path / "none"), components=[]), tmp_path)


def test_console_line_and_results_show_the_rate(tmp_path, capsys):
    from tfx_hf.pipelines import results
    from tfx_hf.pipelines.cli import figures, printing
    from tfx_hf.pipelines.results import NodeExecution

    found = certificate.ParityCertificate(
        checkpoint="ck", max_length=8, text_features=["text"], sample_size=5,
        splits=[certificate.SplitParity("train", 9, 5, 4, 2)],
        differing_rows=[certificate.DifferingRow("train", 0, "É", None, [2, 9, 3], [2, 1, 3],
                                                 ["input_ids"])],
        allow_tokenizer_mismatch=True)
    artifact = TokenizerParity()
    artifact.uri = str(tmp_path / "parity")
    found.write(artifact.uri)
    executor.record_on_artifact(artifact, found)
    execution = NodeExecution("x", "COMPLETE", {}, {"tokenizer_parity": [artifact]})
    assert figures.key_figure(execution, {}) == \
        "tokenizer parity 4/5 rows exact (differences allowed)"
    summary = {"blessed": True, "pushed_model": None, "metrics": {},
               "tokenizer_parity": results.tokenizer_parity(artifact)}
    assert summary["tokenizer_parity"]["exact_row_rate"] == 0.8
    printing.run_summary(summary, "summary.json")
    assert "Tokenizer parity: exact-row rate 0.8000 on 5 rows; DIFFERENCES ALLOWED" in \
        capsys.readouterr().out


def test_the_compiled_pipeline_trains_after_the_check():
    """The golden KFP spec (test_compile_golden.py keeps it equal to what `compile` writes):
    HFTrainer's task depends on TokenizerParityCheck's, which reads ExampleGen's examples."""
    import yaml

    with open(os.path.join(os.path.dirname(__file__), "golden",
                           "text_classification_kubeflow.yaml")) as f:
        tasks = yaml.safe_load(f)["root"]["dag"]["tasks"]
    assert "TokenizerParityCheck" in tasks["HFTrainer"]["dependentTasks"]
    assert tasks["TokenizerParityCheck"]["inputs"]["artifacts"]["examples"][
        "taskOutputArtifact"]["producerTask"] == "HFDatasetExampleGen"


@pytest.mark.pipeline  # runs the pipeline until the check stops it (ExampleGen, StatisticsGen)
def test_a_run_stops_before_training(tmp_path, capsys, topic_dataset,
                                                              tiny_checkpoint):
    """`tfx-hf run` on a checkpoint whose 🤗 tokenizer has added tokens the in-graph one lacks: exit
    status 2 with the differing rows on the last line, the Trainer never started, and the
    report says the check failed."""
    from tfx_hf.pipelines import cli

    checkpoint = _case_folding_checkpoint(tmp_path / "cased_config", tiny_checkpoint)
    output = tmp_path / "out"
    status = cli.main(["run", "--dataset", topic_dataset, "--checkpoint", checkpoint,
                       "--output", str(output), "--splits", "train=train,test=eval",
                       "--train-steps", "1", "--max-length", "32"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    # Every text is capitalized: no row is exact.
    assert "tfx-hf run: error: Tokenizer parity: 120 of 120 rows tokenize differently" in err[-1]
    assert "train row 0 '" in err[-1] and "--allow-tokenizer-mismatch" in err[-1]
    assert not os.path.exists(output / "pipeline_root" / "HFTrainer")
    report = (output / "report.html").read_text()
    assert "The tokenizer parity check failed" in report


def test_hub_pusher_puts_the_pipelines_certificate_on_the_card(tmp_path):
    """HFHubPusher's `tokenizer_parity` input (create_pipeline wires the check's output to it)
    becomes the card's facts."""
    from tfx_hf.components.hf_hub_pusher import executor as hub_executor

    found = certificate.ParityCertificate(
        checkpoint="ck", max_length=8, text_features=["text"], sample_size=5,
        splits=[certificate.SplitParity("train", 5, 5, 5, 1)], differing_rows=[])
    parity_artifact = TokenizerParity()
    parity_artifact.uri = str(tmp_path / "parity")
    found.write(parity_artifact.uri)
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    facts = hub_executor.Executor._card_facts(
        {"tokenizer_parity": [parity_artifact]}, {}, "me/m", "v1",
        str(tmp_path / "model" / "Format-Serving"), True, model, "1")
    assert facts.tokenizer_parity == found.summary()
    assert hub_executor.Executor._card_facts(
        {}, {}, "me/m", "v1", str(tmp_path / "model" / "Format-Serving"), True, model,
        "1").tokenizer_parity is None
