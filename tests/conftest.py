"""Shared fixtures: a tiny BERT checkpoint and a small labelled text dataset, made at test time
through the real code paths (`save_pretrained`/`from_pretrained`, `save_to_disk`)."""
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
