"""HFTrainer's training run in a Vertex AI CustomJob (a GPU machine, several replicas)."""
