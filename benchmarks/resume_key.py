"""Figure: what the Trainer's resume key costs. Before training, HFTrainer fingerprints what its
inputs hold (components/trainer/resume.py): every Example is parsed and re-serialized once.
This times `resume.artifact_fingerprint` on N synthetic rows of ~300 bytes.

    .venv/bin/python benchmarks/resume_key.py [N]     # default 100000
"""
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def main() -> None:
    import tensorflow as tf
    from tfx.types import standard_artifacts

    from tfx_hf.components.trainer import resume

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    uri = tempfile.mkdtemp()
    os.makedirs(os.path.join(uri, "Split-train"))
    with tf.io.TFRecordWriter(os.path.join(uri, "Split-train", "d.gz"), options="GZIP") as w:
        for i in range(n):
            e = tf.train.Example()
            e.features.feature["text"].bytes_list.value.append(("word " * 60 + str(i)).encode())
            e.features.feature["label"].int64_list.value.append(i % 5)
            w.write(e.SerializeToString())
    examples = standard_artifacts.Examples()
    examples.uri = uri
    started = time.time()
    resume.artifact_fingerprint(examples)
    seconds = time.time() - started
    print(json.dumps({"rows": n, "seconds": round(seconds, 2),
                      "rows_per_s": round(n / seconds)}))


if __name__ == "__main__":
    main()
