"""Claim: in-graph tokenization (InGraphTokenizer in a tf.function) is faster than the 🤗 fast
(Rust) tokenizer's batch call, with identical ids, on the BBC News corpus.

Both sides run in this one process on the same texts, best of `--repeats` runs each.
Both sides use the same options (padding="max_length", truncation=True, max_length).
The same for the SentencePiece path: an XLM-R-style Unigram checkpoint trained here on the
corpus (needs the `sentencepiece` package), best of `--repeats` too, under "sentencepiece".
And for byte-level BPE, under "bpe": a RoBERTa-style checkpoint (ByteLevel, 30k-token BPE
trained here with 🤗 `tokenizers` on the corpus, RobertaProcessing) on BBC News and on short
social-media-like texts made from it (`short_texts`: one or two sentences with @mentions,
#hashtags, emoji with skin tones and ZWJ sequences, URLs, numbers and phrases in other
scripts).
WordPiece also on `mixed_texts` (news sentences with accented names, curly quotes, dashes,
emoji and other scripts: about 9 rows in 10 have a non-ASCII character), under "mixed_texts".
Final line: JSON with both timings and MB/s, ids parity (rows exactly equal) and
`tokenize_speed_ratio` (🤗 time / ours).
    .venv/bin/python benchmarks/tokenization.py [--max-length 128] [--batch-size 256]
"""
import argparse
import json
import os
import random
import re
import tempfile
import time

import tensorflow as tf
from transformers import AutoTokenizer

from tfx_hf.components.tokenization import InGraphTokenizer
from tfx_hf.pipelines.demo_data import minilm_checkpoint, read_bbc_news


def _best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def _compare(reference, ours, batches, max_length, repeats):
    """(🤗 seconds, ours seconds, identical rows, rows) for padding="max_length" ids."""
    tokenize = tf.function(ours, input_signature=[tf.TensorSpec([None], tf.string)])
    tokenize(tf.constant(batches[0]))  # trace once, outside the timing

    def run_reference():
        return [reference(b, padding="max_length", truncation=True, max_length=max_length,
                          return_tensors="np")["input_ids"] for b in batches]

    def run_ours():
        return [tokenize(tf.constant(b))["input_ids"].numpy() for b in batches]

    reference_seconds, expected = _best_of(repeats, run_reference)
    ours_seconds, got = _best_of(repeats, run_ours)
    identical = int(sum((e == g).all(axis=1).sum() for e, g in zip(expected, got)))
    return reference_seconds, ours_seconds, identical, int(sum(len(e) for e in expected))


def _sentencepiece_checkpoint(texts, folder):
    """An XLM-R-style checkpoint whose SentencePiece Unigram model is trained on `texts`."""
    import sentencepiece
    from transformers import XLMRobertaTokenizerFast
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(line for t in texts for line in t.splitlines() if line.strip()))
    sentencepiece.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(folder, "spm"), vocab_size=8000,
        model_type="unigram", unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    checkpoint = os.path.join(folder, "checkpoint")
    XLMRobertaTokenizerFast(vocab_file=os.path.join(folder, "spm.model")).save_pretrained(
        checkpoint)
    return checkpoint


def _bpe_checkpoint(texts, folder):
    """A RoBERTa-style byte-level BPE checkpoint trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import RobertaTokenizerFast
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=30000, show_progress=False, special_tokens=["<s>", "<pad>", "</s>", "<unk>",
                                                               "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", tokenizer.token_to_id("</s>")), ("<s>", tokenizer.token_to_id("<s>")),
        add_prefix_space=False)
    checkpoint = os.path.join(folder, "bpe_checkpoint")
    RobertaTokenizerFast(tokenizer_object=tokenizer, add_prefix_space=False).save_pretrained(
        checkpoint)
    return checkpoint


_EMOJI = ["😀", "😂", "🔥", "👍🏽", "👋🏿", "❤️", "🎉", "👨‍👩‍👧‍👦", "🏳️‍🌈",
          "🇬🇧", "🙏", "💯", "😭", "✨", "⚽"]
_OTHER_SCRIPTS = ["c'est la vie", "¡qué bien!", "Größe ändern", "спасибо большое",
                  "日本語のテキスト", "中文新闻", "한국어 뉴스", "مرحبا بالعالم",
                  "नमस्ते दुनिया", "Ελλάδα", "İstanbul'da"]


def short_texts(texts, n=5000, seed=0):
    """Social-media-like short texts from the corpus's sentences."""
    rng = random.Random(seed)
    sentences = [s for text in texts for s in re.split(r"(?<=[.!?]) ", text) if 20 < len(s) < 200]
    words = [w.strip(".,;:\"'()") for s in sentences[:2000] for w in s.split()]
    words = [w for w in words if w.isalpha()]
    rows = []
    for _ in range(n):
        parts = rng.sample(sentences, rng.choice([1, 1, 2]))
        extras = [lambda: "@" + rng.choice(words).lower() + rng.choice(["", "_", "99"]),
                  lambda: "#" + "".join(w.capitalize() for w in rng.sample(words, 2)),
                  lambda: "".join(rng.sample(_EMOJI, rng.randint(1, 3))),
                  lambda: rng.choice(_OTHER_SCRIPTS),
                  lambda: f"https://t.co/{rng.getrandbits(40):x}",
                  lambda: f"{rng.randint(1, 999)}k" + rng.choice(["!!", "?!", "..."])]
        for _ in range(rng.randint(1, 4)):
            parts.insert(rng.randint(0, len(parts)), rng.choice(extras)())
        rows.append(" ".join(parts)[:280])
    return rows


_NAMES = ["José", "Zoë", "Müller", "François", "Ångström", "Łódź", "Dvořák", "Sánchez",
          "Gülen", "Søren", "Beyoncé", "Pokémon", "naïve", "café", "Þór", "Nuño"]


def mixed_texts(texts, n=4000, seed=1):
    """News-like rows of which most have some non-ASCII character: one to three of the
    corpus's sentences with accented names, curly quotes, dashes, ellipses, currency signs,
    emoji or phrases in other scripts put in (about 1 row in 10 stays ASCII)."""
    rng = random.Random(seed)
    sentences = [s for text in texts for s in re.split(r"(?<=[.!?]) ", text) if 20 < len(s) < 300]
    extras = [lambda: rng.choice(_NAMES), lambda: "“" + rng.choice(_NAMES) + "”",
              lambda: "—", lambda: "…", lambda: "’s", lambda: f"€{rng.randint(1, 99)}m",
              lambda: "".join(rng.sample(_EMOJI, rng.randint(1, 2))),
              lambda: rng.choice(_OTHER_SCRIPTS), lambda: "«" + rng.choice(_NAMES) + "»"]
    rows = []
    for _ in range(n):
        words = " ".join(rng.sample(sentences, rng.randint(1, 3))).split(" ")
        for _ in range(0 if rng.random() < 0.1 else rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(extras)())
        rows.append(" ".join(words))
    return rows


def _figures(megabytes, reference_seconds, ours_seconds, identical, rows):
    return {
        "hf_fast_seconds": round(reference_seconds, 4),
        "in_graph_seconds": round(ours_seconds, 4),
        "hf_fast_mb_per_s": round(megabytes / reference_seconds, 2),
        "in_graph_mb_per_s": round(megabytes / ours_seconds, 2),
        "identical_rows": identical, "rows": rows,
        "tokenize_speed_ratio": round(reference_seconds / ours_seconds, 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    texts, _, _, _ = read_bbc_news()
    batches = [texts[i:i + args.batch_size] for i in range(0, len(texts), args.batch_size)]
    checkpoint = minilm_checkpoint()
    reference = AutoTokenizer.from_pretrained(checkpoint)
    ours = InGraphTokenizer.from_pretrained(checkpoint, max_length=args.max_length)
    reference_seconds, ours_seconds, identical, rows = _compare(
        reference, ours, batches, args.max_length, args.repeats)
    mixed = mixed_texts(texts)
    mixed_figures = _compare(reference, ours, [mixed[i:i + args.batch_size] for i in range(
        0, len(mixed), args.batch_size)], args.max_length, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        sp_checkpoint = _sentencepiece_checkpoint(texts, folder)
        sp_reference = AutoTokenizer.from_pretrained(sp_checkpoint)
        sp_ours = InGraphTokenizer.from_pretrained(sp_checkpoint, max_length=args.max_length)
        sp_reference_seconds, sp_ours_seconds, sp_identical, _ = _compare(
            sp_reference, sp_ours, batches, args.max_length, args.repeats)
        bpe_checkpoint = _bpe_checkpoint(texts, folder)
        bpe_reference = AutoTokenizer.from_pretrained(bpe_checkpoint)
        bpe_ours = InGraphTokenizer.from_pretrained(bpe_checkpoint, max_length=args.max_length)
        bpe_figures = _compare(bpe_reference, bpe_ours, batches, args.max_length, args.repeats)
        shorts = short_texts(texts)
        short_batches = [shorts[i:i + args.batch_size]
                         for i in range(0, len(shorts), args.batch_size)]
        short_figures = _compare(bpe_reference, bpe_ours, short_batches, args.max_length,
                                 args.repeats)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    short_megabytes = sum(len(t.encode("utf-8")) for t in shorts) / 1e6
    mixed_megabytes = sum(len(t.encode("utf-8")) for t in mixed) / 1e6
    print(json.dumps({
        "texts": len(texts), "megabytes": round(megabytes, 3), "max_length": args.max_length,
        "batch_size": args.batch_size, "padding": "max_length", "truncation": True,
        **_figures(megabytes, reference_seconds, ours_seconds, identical, rows),
        "mixed_texts": {
            "texts": len(mixed), "megabytes": round(mixed_megabytes, 3),
            "non_ascii_rows": round(sum(not t.isascii() for t in mixed) / len(mixed), 3),
            **_figures(mixed_megabytes, *mixed_figures)},
        "sentencepiece": {
            "checkpoint": "XLM-R-style Unigram, 8000 pieces trained on the corpus",
            **_figures(megabytes, sp_reference_seconds, sp_ours_seconds, sp_identical, rows),
        },
        "bpe": {
            "checkpoint": "RoBERTa-style byte-level BPE, 30000 tokens trained on the corpus",
            **_figures(megabytes, *bpe_figures),
            "short_texts": {"texts": len(shorts), "megabytes": round(short_megabytes, 3),
                            **_figures(short_megabytes, *short_figures)},
        },
    }))


if __name__ == "__main__":
    main()
