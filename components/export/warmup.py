"""`assets.extra/tf_serving_warmup_requests`: one request per serving length, in TF Serving's
warm-up format (a TFRecord of `PredictionLog`s), so that the first real request of each
length does not pay for tracing the model at that shape."""
import os
from typing import Callable, Dict, List, Sequence

import tensorflow as tf

from tfx_hf.components.contracts import (SERVING_DEFAULT_SIGNATURE, WARMUP_REQUESTS_FILE,
                                         assets_extra_path)

FILLER_WORD = "a"  # one token in WordPiece, SentencePiece and byte-level BPE vocabularies


def warmup_texts(row_lengths: Callable[[List[str]], List[int]], serving_lengths: Sequence[int],
                 max_words: int) -> List[str]:
    """For each serving length, the longest text of repeated FILLER_WORDs whose tokenized row
    (`row_lengths`: texts → real tokens per row) fits it, so each request lands in its own
    length. A length no such text reaches (below the template's special tokens) gets none."""
    candidates = [" ".join([FILLER_WORD] * n) for n in range(max_words + 1)]
    lengths = row_lengths(candidates)
    texts, previous = [], 0
    for length in sorted(serving_lengths):
        fitting = [i for i, n in enumerate(lengths) if previous < n <= length]
        if fitting:
            texts.append(candidates[max(fitting, key=lambda i: lengths[i])])
        previous = length
    return texts


def write_warmup_requests(export_dir: str, text_features: Sequence[str],
                          texts: Sequence[str]) -> str:
    """One `serving_default` request per text: the text in the first text feature, "" in the
    others (the pair's second text)."""
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    path = assets_extra_path(export_dir, WARMUP_REQUESTS_FILE)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path) as writer:
        for text in texts:
            inputs: Dict[str, str] = {name: "" for name in text_features}
            inputs[text_features[0]] = text
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(signature_name=SERVING_DEFAULT_SIGNATURE),
                inputs={name: tf.make_tensor_proto([value]) for name, value in inputs.items()})
            writer.write(prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)).SerializeToString())
    return path
