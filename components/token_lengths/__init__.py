"""Token-length statistics of a run's examples under the checkpoint's tokenizer, and the
max_length `--max-length auto` picks from them."""
