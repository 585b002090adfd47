"""Claims: HFDatasetExampleGen converts a 🤗 dataset to TFX Examples faster than the way such
projects do it today (iterate the dataset in Python, build `tf.train.Example`s, write gzipped
TFRecords), and its streaming path's memory does not grow with the dataset.

1. Speed: both sides convert the same 100k-row text dataset (made here with `datasets`) in this
   process; rows/s of each, output sizes (the component writes gzip level 1, the loop zlib's
   default), and `example_gen_speed_ratio` (ours / Python loop).
2. Memory: the streaming component runs in a fresh process on N rows and on 10×N rows; peak
   RSS of each and `streaming_memory_growth_ratio` (peak at 10×N / peak at N; 1.0 is flat).

    .venv/bin/python benchmarks/example_gen.py [--rows 100000] [--skip-memory]
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from "
         "at which but have an they you were their one all we can her has there been if more "
         "when will would who so no market goal team election film software growth").split()


def make_dataset(rows: int, path: str, seed: int = 0) -> str:
    """A text-classification dataset: ~40-word texts, a ClassLabel, a float and an id."""
    import datasets

    rng = random.Random(seed)
    features = datasets.Features({
        "text": datasets.Value("string"), "label": datasets.ClassLabel(num_classes=5),
        "score": datasets.Value("float32"), "id": datasets.Value("int64")})

    def generate():
        for i in range(rows):
            yield {"text": " ".join(rng.choices(WORDS, k=rng.randint(20, 60))),
                   "label": rng.randrange(5), "score": rng.random(), "id": i}

    datasets.Dataset.from_generator(generate, features=features).save_to_disk(path)
    return path


def python_loop(dataset_path: str, output_path: str) -> int:
    """Today's way: a Python loop over rows building tf.train.Examples."""
    import datasets
    import tensorflow as tf

    dataset = datasets.load_from_disk(dataset_path)
    rows = 0
    with tf.io.TFRecordWriter(output_path, options="GZIP") as writer:
        for row in dataset:
            feature = {}
            for name, value in row.items():
                if isinstance(value, str):
                    feature[name] = tf.train.Feature(
                        bytes_list=tf.train.BytesList(value=[value.encode()]))
                elif isinstance(value, float):
                    feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
                else:
                    feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())
            rows += 1
    return rows


def component(dataset_path: str, output_dir: str, streaming: bool = False) -> int:
    """HFDatasetExampleGen's executor, as TFX runs it (DirectRunner, in memory)."""
    from tfx.types import standard_artifacts
    from tfx.utils import proto_utils

    from tfx_hf.components.contracts import ROW_COUNTS_PROPERTY
    from tfx_hf.components.hf_dataset_example_gen import executor
    from tfx_hf.components.hf_dataset_example_gen.component import HFDatasetExampleGen

    spec = HFDatasetExampleGen(dataset=dataset_path, splits={"train": "train"},
                               streaming=streaming)
    properties = {k: proto_utils.proto_to_json(v) if hasattr(v, "DESCRIPTOR") else v
                  for k, v in spec.exec_properties.items()}
    examples = standard_artifacts.Examples()
    examples.uri = output_dir
    executor.Executor().Do({}, {"examples": [examples]}, properties)
    return examples.get_json_value_custom_property(ROW_COUNTS_PROPERTY)["train"]


def _timed(fn, *args):
    started = time.perf_counter()
    rows = fn(*args)
    return rows, time.perf_counter() - started


def _size_mb(path: str) -> float:
    if os.path.isfile(path):
        return os.path.getsize(path) / 2**20
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names) / 2**20


def _peak_rss_mb_of_streaming_run(dataset_path: str, output_dir: str) -> float:
    """Runs the streaming component in a fresh process; returns its peak RSS in MB."""
    out = subprocess.run([sys.executable, __file__, "--child-streaming", dataset_path,
                          output_dir], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_mb"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--child-streaming", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_streaming:
        rows = component(*args.child_streaming, streaming=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"rows": rows, "peak_rss_mb": round(peak, 1)}))
        return

    work = tempfile.mkdtemp(prefix="bench_example_gen_")
    dataset = make_dataset(args.rows, os.path.join(work, "dataset"))
    component(dataset, os.path.join(work, "warmup"))  # imports and 🤗 cache, outside the timing
    loop_rows, loop_seconds = _timed(python_loop, dataset, os.path.join(work, "loop.gz"))
    ours_rows, ours_seconds = _timed(component, dataset, os.path.join(work, "ours"))
    assert loop_rows == ours_rows == args.rows, (loop_rows, ours_rows)
    result = {
        "rows": args.rows,
        "python_loop_output_mb": round(_size_mb(os.path.join(work, "loop.gz")), 2),
        "component_output_mb": round(_size_mb(os.path.join(work, "ours")), 2),
        "python_loop_rows_per_s": round(loop_rows / loop_seconds),
        "component_rows_per_s": round(ours_rows / ours_seconds),
        "example_gen_speed_ratio": round(loop_seconds / ours_seconds, 2),
    }
    if not args.skip_memory:
        big = make_dataset(10 * args.rows, os.path.join(work, "dataset_10x"), seed=1)
        small_peak = _peak_rss_mb_of_streaming_run(dataset, os.path.join(work, "stream_1x"))
        big_peak = _peak_rss_mb_of_streaming_run(big, os.path.join(work, "stream_10x"))
        result.update({
            "streaming_peak_rss_mb": small_peak, "streaming_peak_rss_mb_10x": big_peak,
            "streaming_memory_growth_ratio": round(big_peak / small_peak, 3),
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
