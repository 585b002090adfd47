"""TF Serving's request batching (`--enable_batching --batching_parameters_file=...`), emulated
in-process, to measure a batching config on a SavedModel where no model server installs.

The policy is that of TF Serving's BasicBatchScheduler as its batching_parameters set it: a
batch opens with the first queued request and closes when it holds `max_batch_size` rows or
`batch_timeout_micros` after it opened; `num_batch_threads` batches run at once; a batch is
padded up to the next of `allowed_batch_sizes` by repeating its first row (as TF Serving pads)
and the padding rows' outputs are dropped. What it leaves out (gRPC, protobuf (de)serialization,
the queue's capacity limits) costs the same with and without batching.

`load_test` runs `clients` threads, each sending batch-1 requests one after another (a closed
loop, as a service's callers do), with and without batching, and reports latency and rows/s.
"""
import queue
import threading
import time
from typing import Callable, Dict, List, Sequence

import numpy as np

# The documented config (README, "Serving on TF Serving"), as TF Serving's
# batching_parameters text format takes it.
BATCHING_PARAMETERS = {
    "max_batch_size": 8,
    "batch_timeout_micros": 2000,
    "num_batch_threads": 1,
    "max_enqueued_batches": 64,
    "allowed_batch_sizes": [1, 2, 4, 8],
    "pad_variable_length_inputs": False,
}


def batching_parameters_text(parameters: Dict = BATCHING_PARAMETERS) -> str:
    """The batching_parameters file (protobuf text format) for `parameters`."""
    lines = []
    for key, value in parameters.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            text = str(v).lower() if isinstance(v, bool) else str(v)
            lines.append(f"{key} {{ value: {text} }}")
    return "\n".join(lines) + "\n"


class BatchingServer:
    """Calls `predict(texts) -> rows` on batches formed from single requests by TF Serving's
    policy (module docstring)."""

    def __init__(self, predict: Callable[[List[str]], np.ndarray], parameters: Dict):
        self._predict = predict
        self._max = parameters["max_batch_size"]
        self._timeout = parameters["batch_timeout_micros"] / 1e6
        self._allowed = sorted(parameters.get("allowed_batch_sizes") or [self._max])
        self._queue: "queue.Queue" = queue.Queue()
        self.batch_sizes: List[int] = []
        self._threads = [threading.Thread(target=self._serve, daemon=True)
                         for _ in range(parameters["num_batch_threads"])]
        for thread in self._threads:
            thread.start()

    def __call__(self, text: str) -> np.ndarray:
        done = threading.Event()
        slot = {"text": text, "done": done}
        self._queue.put(slot)
        done.wait()
        return slot["result"]

    def close(self):
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _serve(self):
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, closes = [first], time.perf_counter() + self._timeout
            while len(batch) < self._max:
                try:
                    slot = self._queue.get(timeout=max(0.0, closes - time.perf_counter()))
                except queue.Empty:
                    break
                if slot is None:
                    self._queue.put(None)
                    break
                batch.append(slot)
            size = next(n for n in self._allowed if n >= len(batch))
            texts = [slot["text"] for slot in batch]
            outputs = self._predict(texts + [texts[0]] * (size - len(batch)))
            self.batch_sizes.append(len(batch))
            for slot, row in zip(batch, outputs):
                slot["result"] = row
                slot["done"].set()


def _clients(call: Callable[[str], np.ndarray], texts: Sequence[str], clients: int,
             requests_per_client: int):
    """(latencies, seconds) of `clients` threads each sending `requests_per_client`."""
    latencies: List[float] = []
    lock = threading.Lock()

    def client(offset):
        for i in range(requests_per_client):
            started = time.perf_counter()
            call(texts[(offset * requests_per_client + i) % len(texts)])
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def _figures(latencies: List[float], seconds: float) -> Dict:
    return {"p50_ms": round(1000 * float(np.percentile(latencies, 50)), 2),
            "p95_ms": round(1000 * float(np.percentile(latencies, 95)), 2),
            "rows_per_s": round(len(latencies) / seconds, 1)}


def with_max_batch_size(max_batch_size: int, parameters: Dict = BATCHING_PARAMETERS) -> Dict:
    """`parameters` with another max_batch_size (allowed sizes: the powers of two up to it)."""
    allowed = [2 ** k for k in range(max_batch_size.bit_length()) if 2 ** k < max_batch_size]
    return dict(parameters, max_batch_size=max_batch_size,
                allowed_batch_sizes=allowed + [max_batch_size])


def load_test(predict: Callable[[List[str]], np.ndarray], texts: Sequence[str],
              clients: Sequence[int], requests_per_client: int,
              max_batch_sizes: Sequence[int] = (BATCHING_PARAMETERS["max_batch_size"],),
              rounds: int = 3) -> Dict:
    """{"clients_N": {"unbatched": figures, "batched_max_M": figures, ...}} for each N of
    `clients` and M of `max_batch_sizes`: unbatched, every client calls `predict([text])`
    itself (concurrent calls share TensorFlow's thread pools); batched, through a
    BatchingServer with BATCHING_PARAMETERS but max_batch_size M (`mean_batch`: rows per
    batch). The modes take turns for `rounds` rounds, so all see the same machine load."""
    out = {}
    for n in clients:
        modes = {"unbatched": None, **{f"batched_max_{m}": with_max_batch_size(m)
                                       for m in max_batch_sizes}}
        latencies = {mode: [] for mode in modes}
        seconds = {mode: 0.0 for mode in modes}
        batch_sizes = {mode: [] for mode in modes}
        for _ in range(rounds):
            for mode, parameters in modes.items():
                server = BatchingServer(predict, parameters) if parameters else None
                call = server or (lambda text: predict([text])[0])
                took, spent = _clients(call, texts, n, requests_per_client)
                latencies[mode] += took
                seconds[mode] += spent
                if server:
                    server.close()
                    batch_sizes[mode] += server.batch_sizes
        out[f"clients_{n}"] = {
            mode: dict(_figures(latencies[mode], seconds[mode]),
                       **({"mean_batch": round(float(np.mean(batch_sizes[mode])), 1)}
                          if batch_sizes[mode] else {}))
            for mode in modes}
    return out
