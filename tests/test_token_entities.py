"""Parity of EntityAggregator with 🤗's token-classification pipeline: the same logits go through
`TokenClassificationPipeline.postprocess` (transformers 4.54.1, framework "tf") and through the
in-graph aggregator, for every aggregation strategy and tokenizer family (WordPiece cased and
uncased, byte-level BPE with and without a continuing-subword prefix, SentencePiece Unigram),
on the hard corpus of the tokenizer parity tests plus entity-shaped texts: the same entity
groups, starts and ends, scores within 1e-5, and `word` == text[start:end]."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfx_hf.components.input_error import InputError
from tfx_hf.components.task.token_entities import AGGREGATION_STRATEGIES, EntityAggregator
from tfx_hf.components.tokenization import InGraphTokenizer
from test_tokenization_parity import CORPUS, _vocab

transformers = pytest.importorskip("transformers")
from transformers.pipelines.token_classification import (  # noqa: E402
    AggregationStrategy, TokenClassificationPipeline)

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "MISC", "I-MISC", "B-WORK-OF-ART",
          "I-WORK-OF-ART"]
ID2LABEL = dict(enumerate(LABELS))
ENTITY_TEXTS = [
    "Angela Merkel met Barack Obama in Paris, then flew to New York City.",
    "Zoë Ångström-Núñez visited Zürich; François and José went to São Paulo!",
    "ParisLondon Berlin—Madrid (Rome) 'Oslo' \"Lima\" Kyiv/Kiev co-op e-mail U.S.A.",
    "北京和上海 🇫🇷 Paris 😀 Müller's café-au-lait, naïve résumé",
    "  leading spaces, trailing   ",
    "McDonald's O'Neill d'Artagnan 12,000km $3.5bn well-known state-of-the-art",
]
TEXTS = ENTITY_TEXTS + CORPUS
STRATEGIES = list(AGGREGATION_STRATEGIES)


def _wordpiece(folder, lowercase):
    vocab_file = os.path.join(folder, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("\n".join(_vocab(TEXTS)) + "\n")
    transformers.BertTokenizerFast(vocab_file=vocab_file, do_lower_case=lowercase,
                                   model_max_length=128).save_pretrained(folder)
    return folder


def _bpe(folder, style):
    from test_tokenization_bpe import _build
    return _build(folder, style)


def _unigram(folder):
    pytest.importorskip("sentencepiece")
    from test_tokenization_sentencepiece import _train
    return _train(folder, "xlmr")


BUILDERS = {
    "wordpiece_uncased": lambda folder: _wordpiece(folder, True),
    "wordpiece_cased": lambda folder: _wordpiece(folder, False),
    "bpe_roberta": lambda folder: _bpe(folder, "roberta"),  # no prefix: 🤗's space heuristic
    "bpe_affixes": lambda folder: _bpe(folder, "affixes"),  # "##" prefix: the length rule
    "unigram": _unigram,
}
FAMILIES = list(BUILDERS)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return {name: build(str(tmp_path_factory.mktemp(name))) for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def tiny_model():
    """A token-classification model for the pipeline object; its own logits are used only in
    test_pipeline_call_gives_the_same_entities."""
    config = transformers.BertConfig(
        vocab_size=len(_vocab(TEXTS)), hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=16, max_position_embeddings=128,
        id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()})
    model = transformers.TFBertForTokenClassification(config)
    model(model.dummy_inputs)
    return model


_PIPELINES = {}


def _pipeline(checkpoint, model):
    """The token-classification pipeline of `checkpoint`'s tokenizer (one per checkpoint)."""
    if checkpoint not in _PIPELINES:
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
        pipe = TokenClassificationPipeline(model=model, tokenizer=tokenizer, framework="tf")
        _PIPELINES[checkpoint] = pipe, {}
    return _PIPELINES[checkpoint][0]


def _preprocessed(pipe, text):
    """The pipeline's own preprocessing of `text` (ids, offsets, special_tokens_mask)."""
    cache = next(c for p, c in _PIPELINES.values() if p is pipe)
    if text not in cache:
        (cache[text],) = list(pipe.preprocess(text, is_split_into_words=False))
    return cache[text]


def _reference(pipe, text, logits, strategy, ignore_labels=None):
    """🤗's entities for `text` with the given per-token logits ([tokens, classes])."""
    inputs = _preprocessed(pipe, text)
    length = inputs["input_ids"].shape[1]
    outputs = {"logits": tf.constant(logits[None, :length]),
               "special_tokens_mask": inputs["special_tokens_mask"],
               "offset_mapping": inputs["offset_mapping"], "sentence": text, "is_last": True,
               "input_ids": inputs["input_ids"]}
    return pipe.postprocess([outputs], aggregation_strategy=AggregationStrategy[strategy.upper()],
                            ignore_labels=ignore_labels)


def _ours(outputs, row):
    n = int(outputs["num_entities"][row])
    return [{"entity_group": outputs["entity_group"][row, j].numpy().decode(),
             "score": float(outputs["score"][row, j]), "start": int(outputs["start"][row, j]),
             "end": int(outputs["end"][row, j]), "word": outputs["word"][row, j].numpy().decode()}
            for j in range(n)]


def _assert_same_entities(ours, theirs, text, context):
    assert [(e["entity_group"], e["start"], e["end"]) for e in ours] == \
        [(e["entity_group"], e["start"], e["end"]) for e in theirs], context
    for mine, reference in zip(ours, theirs):
        assert mine["score"] == pytest.approx(float(reference["score"]), abs=1e-5), context
        assert mine["word"] == text[mine["start"]:mine["end"]], context


def _logits(shape, seed):
    """Random logits, sharp enough that labels run in B-/I- sequences of all kinds."""
    return (np.random.default_rng(seed).normal(size=shape) * 3).astype(np.float32)


def _batch(pipe, texts, seed):
    encoded = pipe.tokenizer(texts, padding=True, truncation=True, return_offsets_mapping=True,
                             return_tensors="np")
    logits = _logits(encoded["input_ids"].shape + (len(LABELS),), seed)
    return encoded["input_ids"], encoded["offset_mapping"], logits


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_entities_match_the_pipeline(checkpoints, tiny_model, family, strategy):
    pipe = _pipeline(checkpoints[family], tiny_model)
    aggregator = EntityAggregator(checkpoints[family], ID2LABEL, strategy)
    total = 0
    for seed in range(3):
        input_ids, offsets, logits = _batch(pipe, TEXTS, seed)
        outputs = aggregator(tf.constant(TEXTS), input_ids, offsets, logits)
        assert outputs["entity_group"].shape[0] == len(TEXTS)
        for row, text in enumerate(TEXTS):
            expected = _reference(pipe, text, logits[row], strategy)
            _assert_same_entities(_ours(outputs, row), expected, text,
                                  f"{family} {strategy} seed {seed} row {row}: {text!r}")
            total += len(expected)
    assert total > 100  # the comparison saw many entities


def test_subword_rule_follows_the_tokenizer_model(checkpoints):
    prefixes = {family: EntityAggregator(path, ID2LABEL, "first").continuing_subword_prefix
                for family, path in checkpoints.items()}
    assert prefixes == {"wordpiece_uncased": "##", "wordpiece_cased": "##", "bpe_roberta": "",
                        "bpe_affixes": "##", "unigram": ""}


@pytest.mark.parametrize("strategy", ["simple", "average"])
def test_ignore_labels(checkpoints, tiny_model, strategy):
    pipe = _pipeline(checkpoints["wordpiece_cased"], tiny_model)
    ignore = ("O", "MISC", "WORK-OF-ART")
    aggregator = EntityAggregator(checkpoints["wordpiece_cased"], ID2LABEL, strategy, ignore)
    input_ids, offsets, logits = _batch(pipe, ENTITY_TEXTS, 7)
    outputs = aggregator(tf.constant(ENTITY_TEXTS), input_ids, offsets, logits)
    groups = set()
    for row, text in enumerate(ENTITY_TEXTS):
        expected = _reference(pipe, text, logits[row], strategy, list(ignore))
        _assert_same_entities(_ours(outputs, row), expected, text, f"{strategy} row {row}")
        groups.update(e["entity_group"] for e in expected)
    assert groups == {"PER", "LOC"}


def test_pipeline_call_gives_the_same_entities(checkpoints, tiny_model):
    """The whole 🤗 pipeline call (its own forward pass) against the aggregator on the model's
    logits for the same ids: the reference above is the pipeline's real postprocessing."""
    checkpoint = checkpoints["wordpiece_uncased"]
    pipe = _pipeline(checkpoint, tiny_model)
    for strategy in STRATEGIES:
        aggregator = EntityAggregator(checkpoint, ID2LABEL, strategy, ignore_labels=())
        for text in ENTITY_TEXTS[:3]:
            expected = pipe(text, aggregation_strategy=strategy, ignore_labels=[])
            encoded = pipe.tokenizer([text], return_offsets_mapping=True, return_tensors="np")
            logits = tiny_model(input_ids=encoded["input_ids"],
                                attention_mask=encoded["attention_mask"]).logits
            outputs = aggregator(tf.constant([text]), encoded["input_ids"],
                                 encoded["offset_mapping"], logits)
            _assert_same_entities(_ours(outputs, 0), expected, text, strategy)
            assert expected


def test_invalid_utf8_reads_as_replacement_characters(checkpoints, tiny_model):
    checkpoint = checkpoints["bpe_roberta"]
    pipe = _pipeline(checkpoint, tiny_model)
    raw = [b"Caf\xe9 Paris \xff\xfe Berlin", b"trunc\xe2\x82 Rome", b"\x80 Oslo \xed\xa0\x80"]
    texts = [r.decode("utf-8", errors="replace") for r in raw]
    input_ids, offsets, logits = _batch(pipe, texts, 3)
    aggregator = EntityAggregator(checkpoint, ID2LABEL, "first", ignore_labels=())
    outputs = aggregator(tf.constant(raw), input_ids, offsets, logits)
    for row, text in enumerate(texts):
        _assert_same_entities(_ours(outputs, row), _reference(pipe, text, logits[row], "first",
                                                              []), text, f"row {row}")


def test_padding_and_empty_batches(checkpoints):
    aggregator = EntityAggregator(checkpoints["wordpiece_cased"], ID2LABEL)
    empty = aggregator(tf.constant([], tf.string), tf.zeros([0, 0], tf.int64),
                       tf.zeros([0, 0, 2], tf.int64), tf.zeros([0, 0, len(LABELS)]))
    assert empty["entity_group"].shape == (0, 0) and empty["num_entities"].shape == (0,)
    # Only "O" and special tokens: no entity in any row, E == 0.
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoints["wordpiece_cased"])
    encoded = tokenizer(["Paris", ""], padding=True, return_offsets_mapping=True,
                        return_tensors="np")
    logits = np.zeros(encoded["input_ids"].shape + (len(LABELS),), np.float32)
    logits[..., 0] = 5.0
    logits[1, :, 1] = 9.0  # row 2 is specials and padding only: nothing despite B-PER
    outputs = aggregator(tf.constant(["Paris", ""]), encoded["input_ids"],
                         encoded["offset_mapping"], logits)
    assert outputs["score"].shape == (2, 0)
    assert outputs["num_entities"].numpy().tolist() == [0, 0]
    # Padding with a token that is not the pad token is left out by the attention mask.
    ids = np.where(encoded["attention_mask"] == 1, encoded["input_ids"], 7)
    masked = aggregator(tf.constant(["Paris", ""]), ids, encoded["offset_mapping"], logits,
                        attention_mask=encoded["attention_mask"])
    assert masked["num_entities"].numpy().tolist() == [0, 0]
    assert aggregator(tf.constant(["Paris", ""]), ids, encoded["offset_mapping"],
                      logits)["num_entities"].numpy().tolist() == [0, 1]
    for key, dtype in [("entity_group", tf.string), ("score", tf.float32), ("start", tf.int64),
                       ("end", tf.int64), ("word", tf.string), ("num_entities", tf.int64)]:
        assert outputs[key].dtype == dtype, key


def test_unknown_strategy_and_labels_are_refused(checkpoints):
    with pytest.raises(InputError, match=r"aggregation_strategy='mean'.*'simple', 'first'"):
        EntityAggregator(checkpoints["wordpiece_cased"], ID2LABEL, "mean")
    with pytest.raises(InputError, match="per-token"):
        EntityAggregator(checkpoints["wordpiece_cased"], ID2LABEL, "none")
    with pytest.raises(InputError, match="every class id"):
        EntityAggregator(checkpoints["wordpiece_cased"], {0: "O", 2: "B-PER"})
    assert EntityAggregator(checkpoints["wordpiece_cased"], {"0": "O", "1": "B-PER"},
                            "MAX").label_names == ["O", "B-PER"]
    assert EntityAggregator(checkpoints["wordpiece_cased"], ID2LABEL,
                            ignore_labels="MISC").ignore_labels == ("MISC",)
    with pytest.raises(InputError, match="logits have 3 classes but id2label names 2"):
        EntityAggregator(checkpoints["wordpiece_cased"], {0: "O", 1: "B-PER"})(
            tf.constant(["x"]), tf.zeros([1, 1], tf.int64), tf.zeros([1, 1, 2], tf.int64),
            tf.zeros([1, 1, 3]))


def _fake_logits(input_ids):
    """Logits computed from the ids alone, the same in the graph and in numpy."""
    classes = tf.range(len(LABELS), dtype=tf.float32)
    return 4.0 * tf.sin(tf.cast(input_ids, tf.float32)[..., None] * 0.37 + classes * 1.3)


SAVED_FAMILIES = ["wordpiece_uncased", "bpe_roberta"]  # the length rule and the heuristic


def test_saved_model_with_in_graph_tokenizer(tmp_path, checkpoints, tiny_model):
    """Strings in, entities out of SavedModel signatures (in-graph tokenizer with offsets,
    logits from the ids, the aggregator), loaded in a process that imports only TensorFlow
    and tensorflow-text, against the pipeline on the same logits."""
    module, signatures = tf.Module(), {}
    for family in SAVED_FAMILIES:
        tokenizer = InGraphTokenizer.from_pretrained(
            checkpoints[family], padding="longest", max_length=128, return_offsets_mapping=True)
        aggregator = EntityAggregator(checkpoints[family], ID2LABEL, "average")
        setattr(module, family, [tokenizer, aggregator])

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(text, tokenizer=tokenizer, aggregator=aggregator):
            encoded = tokenizer(text)
            return aggregator(text, encoded["input_ids"], encoded["offset_mapping"],
                              _fake_logits(encoded["input_ids"]))
        signatures[family] = serve

    path = str(tmp_path / "model")
    tf.saved_model.save(module, path, signatures=signatures)
    # Special tokens written in the text keep their offsets and count, as in 🤗.
    texts = ENTITY_TEXTS + CORPUS[:12] + [
        CORPUS[24], "<s> inline </s><pad> <mask> x [CLS]", "[SEP] a [UNK] ☃ [PAD]"]
    script = (
        "import sys, json, tensorflow as tf, tensorflow_text\n"
        "model = tf.saved_model.load(sys.argv[1])\n"
        "answers = {}\n"
        "for name, serve in model.signatures.items():\n"
        "    out = serve(text=tf.constant(json.loads(sys.argv[2])))\n"
        "    answers[name] = {k: v.numpy().tolist() if v.dtype != tf.string else "
        "[[w.decode() for w in r] for r in v.numpy()] for k, v in out.items()}\n"
        "print(json.dumps(answers))\n")
    env = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", script, path, json.dumps(texts)],
                            capture_output=True, text=True, env=env, check=True)
    answers = json.loads(result.stdout.splitlines()[-1])
    assert sorted(answers) == sorted(SAVED_FAMILIES)
    for family in SAVED_FAMILIES:
        outputs = {k: tf.constant(v) for k, v in answers[family].items()}
        pipe = _pipeline(checkpoints[family], tiny_model)
        for row, text in enumerate(texts):
            ids = pipe.tokenizer(text, truncation=True)["input_ids"]
            expected = _reference(pipe, text, _fake_logits(tf.constant(ids)).numpy(), "average")
            _assert_same_entities(_ours(outputs, row), expected, text, f"{family} row {row}")
