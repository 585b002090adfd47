"""TokenizerParityCheck: the in-graph tokenizer against the checkpoint's 🤗 fast tokenizer, on
a sample of the run's own Examples, before training."""
