"""`tfx-hf run --task token-classification` and the same in a config file: the flags reach
create_pipeline, which builds the token-classification pipeline (word-tag columns, tag names
for label_all_tokens, no TokenizerParityCheck) and refuses a dataset that does not fit
before any component runs."""
import json

import datasets
import pytest

from tfx_hf.pipelines import cli, config
from tfx_hf.pipelines.cli import precedence
from tfx_hf.pipelines.text_classification import create_pipeline

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _dataset(tmp_path, tags_feature):
    path = str(tmp_path / "data")
    datasets.Dataset.from_dict(
        {"tokens": [["Anna", "said"], ["in", "Paris"]], "ner_tags": [[1, 0], [0, 3]]},
        features=datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                    "ner_tags": tags_feature})).save_to_disk(path)
    return path


def test_flags_and_config_file_give_the_token_classification_arguments(tmp_path):
    config_file = tmp_path / "ner.yaml"
    config_file.write_text("pipeline:\n  task: token-classification\n  "
                           "aggregation_strategy: first\n")
    parser = cli.build_parser()
    args = parser.parse_args(["run", "--config", str(config_file), "--dataset", "d",
                              "--checkpoint", "c", "--tokens-column", "tokens",
                              "--tags-column", "ner_tags", "--label-all-tokens"])
    provided = ("pipeline_name", "pipeline_root", "push_destination")  # as `run` gives them
    arguments = precedence.pipeline_arguments(args, config.load(str(config_file)), provided)
    assert arguments == {"task": "token-classification", "aggregation_strategy": "first",
                         "dataset": "d", "checkpoint": "c", "text_feature": "tokens",
                         "label_feature": "ner_tags", "label_all_tokens": True}
    args = parser.parse_args(["run", "--dataset", "d", "--checkpoint", "c",
                              "--task", "token-classification"])
    assert precedence.pipeline_arguments(args, config.load(None), provided)["task"] == \
        "token_classification"


def test_the_pipeline_reads_word_tags_and_the_tag_names(tmp_path, tiny_checkpoint):
    dataset = _dataset(tmp_path, datasets.Sequence(datasets.ClassLabel(names=TAGS)))
    pipeline = create_pipeline(
        "ner", str(tmp_path / "root"), dataset, tiny_checkpoint, str(tmp_path / "push"),
        task="token-classification", text_feature="tokens", label_feature="ner_tags",
        label_all_tokens=True, max_length=32)
    components = {c.id: c for c in pipeline.components}
    assert "TokenizerParityCheck" not in components
    example_gen = components["HFDatasetExampleGen"]
    assert json.loads(example_gen.exec_properties["word_tag_columns"]) == {
        "tokens": "ner_tags"}
    custom_config = components["Transform"].exec_properties["custom_config"]
    custom_config = json.loads(custom_config) if isinstance(custom_config, str) \
        else custom_config
    assert custom_config["task"] == "token_classification"
    assert custom_config["label_names"] == TAGS and custom_config["label_all_tokens"]


def test_tags_that_are_not_class_labels_stop_the_run_before_training(tmp_path, capsys,
                                                                     tiny_checkpoint):
    dataset = _dataset(tmp_path, datasets.Sequence(datasets.Value("int64")))
    status = cli.main(["run", "--dataset", dataset, "--checkpoint", tiny_checkpoint,
                       "--output", str(tmp_path / "out"), "--task", "token-classification",
                       "--tokens-column", "tokens", "--tags-column", "ner_tags",
                       "--max-length", "32"])
    err = capsys.readouterr().err
    assert status == 2 and "Tags column 'ner_tags'" in err and "Sequence(ClassLabel" in err
    assert not (tmp_path / "out" / "pipeline_root" / "HFTrainer").exists()


def test_an_unknown_aggregation_strategy_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--dataset", "d", "--checkpoint", "c", "--aggregation-strategy",
                  "none"])
    assert exit_info.value.code == 2 and "--aggregation-strategy" in capsys.readouterr().err


def test_a_checkpoint_whose_tokenizer_gives_no_offsets_is_refused_before_the_run(tmp_path):
    """serving_default needs character offsets: a Unigram checkpoint is refused while its
    in-graph encoder has none, and builds once it has them."""
    import sentencepiece as spm
    import transformers

    from tfx_hf.components.input_error import InputError
    from tfx_hf.components.tokenization.sentencepiece_unigram import SentencePieceUnigram

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["Anna said in Paris", "Tom went to Rome"] * 20) + "\n")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "sp"),
                                   vocab_size=40, model_type="unigram", minloglevel=2,
                                   hard_vocab_limit=False)
    checkpoint = str(tmp_path / "xlmr")
    transformers.XLMRobertaTokenizerFast(vocab_file=str(tmp_path / "sp.model")
                                         ).save_pretrained(checkpoint)
    model = transformers.TFXLMRobertaModel(transformers.XLMRobertaConfig(
        vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=40))
    model(model.dummy_inputs)
    model.save_pretrained(checkpoint)
    dataset = _dataset(tmp_path, datasets.Sequence(datasets.ClassLabel(names=TAGS)))

    def build():
        return create_pipeline("ner", str(tmp_path / "root"), dataset, checkpoint,
                               str(tmp_path / "push"), task="token_classification",
                               text_feature="tokens", label_feature="ner_tags", max_length=32)

    if hasattr(SentencePieceUnigram, "encode_with_offsets"):
        assert build().components
    else:
        with pytest.raises(InputError, match="return_offsets_mapping=True .* not for Unigram"):
            build()
