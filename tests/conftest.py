"""Shared fixtures: a tiny BERT checkpoint and a small labelled text dataset, made at test time
through the real code paths (`save_pretrained`/`from_pretrained`, `save_to_disk`), and the
upstream artifacts built from them once per session by the real executors: the prepared
Examples with their Transform output, and a tiny single-label model trained by the Trainer.

Tiers (pytest.ini): a test that trains a model or runs a TFX pipeline is `slow`; one that
runs a whole pipeline is also `pipeline`; one that runs it many times over is `heavy` (not in
`make test`). A test that requests a fixture which trains (see
TRAINING_FIXTURES) is marked `slow` here, so the fast tier never trains."""
import os
import random

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

TOPICS = {
    "sport": "match goal team coach league striker season cup player score".split(),
    "business": "market shares bank profit economy company investors prices growth".split(),
    "tech": "software chip computer phone internet users network data apps".split(),
}
COMMON = "the a of in on and said new year after this week".split()


def make_texts(n_per_topic: int, seed: int):
    rng = random.Random(seed)
    rows = []
    for label, (topic, words) in enumerate(TOPICS.items()):
        for _ in range(n_per_topic):
            tokens = rng.choices(words, k=6) + rng.choices(COMMON, k=4)
            rng.shuffle(tokens)
            rows.append({"text": " ".join(tokens).capitalize() + ".", "label": label,
                         "topic": topic})
    rng.shuffle(rows)
    return rows


def build_tiny_checkpoint(path: str, with_tokenizer_json: bool = True) -> str:
    """A random 2-layer BERT with a WordPiece vocabulary of the test corpus."""
    from transformers import BertConfig, BertTokenizerFast, TFBertModel

    words = sorted({w for ws in TOPICS.values() for w in ws} | set(COMMON))
    pieces = sorted({c for w in words for c in w} | {"##" + c for w in words for c in w})
    vocab = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","]
                               + words + pieces))
    os.makedirs(path, exist_ok=True)
    vocab_file = os.path.join(path, "vocab.txt")
    with open(vocab_file, "w") as f:
        f.write("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=vocab_file, do_lower_case=True,
                                  model_max_length=64)
    tokenizer.save_pretrained(path)
    if not with_tokenizer_json:
        os.remove(os.path.join(path, "tokenizer.json"))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64)
    model = TFBertModel(config)
    model(model.dummy_inputs)
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> str:
    return build_tiny_checkpoint(str(tmp_path_factory.mktemp("tiny_bert")))


# Text a byte-level BPE must handle beyond the topic words: other scripts, emoji, accents.
ROBERTA_EXTRA_TEXTS = ["Café naïve résumé", "日本語のテキスト", "Привет мир",
                       "emoji 😀👍🏽 #tags @you"]


def build_tiny_roberta_checkpoint(path: str) -> str:
    """A random 2-layer RoBERTa with a byte-level BPE trained here with 🤗 `tokenizers` on the
    test corpus (RobertaProcessing post-processor), saved as a RobertaTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import RobertaConfig, RobertaTokenizerFast, TFRobertaModel

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    lines = [row["text"] for row in make_texts(20, seed=7)] + ROBERTA_EXTRA_TEXTS
    tokenizer.train_from_iterator(lines, trainer)
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", tokenizer.token_to_id("</s>")), ("<s>", tokenizer.token_to_id("<s>")),
        add_prefix_space=False)
    os.makedirs(path, exist_ok=True)
    RobertaTokenizerFast(tokenizer_object=tokenizer, add_prefix_space=False,
                         model_max_length=64).save_pretrained(path)
    # RoBERTa's positions start after padding_idx (1): 64 tokens need 66 positions.
    config = RobertaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32,
                           num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                           max_position_embeddings=66, pad_token_id=1, bos_token_id=0,
                           eos_token_id=2, type_vocab_size=1)
    model = TFRobertaModel(config)
    model(model.dummy_inputs)
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_roberta_checkpoint(tmp_path_factory) -> str:
    return build_tiny_roberta_checkpoint(str(tmp_path_factory.mktemp("tiny_roberta")))


@pytest.fixture(scope="session")
def topic_dataset(tmp_path_factory) -> str:
    """A DatasetDict (train 90 rows, test 30 rows) with a ClassLabel `label`, on disk."""
    import datasets

    features = datasets.Features({
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=list(TOPICS)),
        "topic": datasets.Value("string")})

    def split(n, seed):
        rows = make_texts(n, seed)
        return datasets.Dataset.from_list(rows, features=features)

    path = str(tmp_path_factory.mktemp("topics") / "dataset")
    datasets.DatasetDict({"train": split(30, 0), "test": split(10, 1)}).save_to_disk(path)
    return path


# Upstream artifacts, built once per session by the real executors ---------------------------

TOPIC_SPLITS = {"train": "train", "test": "eval"}  # 🤗 split → TFX split
# 200 steps at 3e-3 classify every eval row correctly (probed: 60 steps left one class at
# chance, so metric checks passed by a narrow margin)
TOPIC_TRAIN_STEPS = 200


@pytest.fixture(scope="session")
def topic_config(tiny_checkpoint):
    """The TaskConfig the shared artifacts are built with (single-label, `label`). A test that
    needs other training options takes `dataclasses.replace(topic_config, ...)`."""
    from tfx_hf.components.task import TaskConfig

    return TaskConfig(checkpoint=tiny_checkpoint, max_length=32, batch_size=8,
                      learning_rate=3e-3)


@pytest.fixture(scope="session")
def topic_artifacts(tmp_path_factory, topic_dataset, topic_config):
    """(Examples, TransformGraph) of `topic_dataset`: HFDatasetExampleGen, StatisticsGen,
    SchemaGen and Transform executors, run once. Read-only for the tests."""
    import trainer_harness

    root = str(tmp_path_factory.mktemp("topic_artifacts"))
    return trainer_harness.prepare(root, topic_dataset, topic_config, splits=TOPIC_SPLITS)


@pytest.fixture(scope="session")
def topic_model(tmp_path_factory, topic_artifacts, topic_config):
    """The Model artifact (Format-Serving/ and Format-HF/) of TOPIC_TRAIN_STEPS steps of the
    Trainer executor on `topic_artifacts`: a model that has learned the topics. Read-only."""
    import trainer_harness

    examples, transform_graph = topic_artifacts
    model, _ = trainer_harness.train(str(tmp_path_factory.mktemp("topic_model")), examples,
                                     transform_graph, topic_config, train_steps=TOPIC_TRAIN_STEPS)
    return model


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, tiny_checkpoint, topic_dataset):
    """(output folder, summary) of the whole pipeline run once by LocalDagRunner on
    `topic_dataset`: blessed and pushed. test_pipeline_e2e adds a second, worse run to the same
    output (MLMD, pipeline root) to test the baseline comparison; other tests only read it."""
    from tfx_hf.pipelines import local_runner

    output = str(tmp_path_factory.mktemp("run"))
    summary = local_runner.run_text_classification(
        output, dataset=topic_dataset, checkpoint=tiny_checkpoint,
        splits=TOPIC_SPLITS, train_steps=60, batch_size=8,
        max_length=32, learning_rate=3e-3, min_accuracy=0.0)
    return output, summary


# Each runs executors or trains.
TRAINING_FIXTURES = {"topic_artifacts", "topic_model", "pipeline_run"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("pipeline") or item.get_closest_marker("heavy") \
                or TRAINING_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


class LocalHTTPServer:
    """Serves `handler` (a BaseHTTPRequestHandler class) on 127.0.0.1, a free port, in a thread
    while used as a context manager: the tests' stand-ins for remote APIs (Hub, Vertex AI)."""

    def __init__(self, handler):
        from http.server import ThreadingHTTPServer
        import threading

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
