"""HFDatasetExampleGen: a 🤗 dataset into TFX Examples."""
