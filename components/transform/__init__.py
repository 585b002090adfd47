"""tf.Transform preprocessing for 🤗 checkpoints: in-graph tokenization and label ids."""
