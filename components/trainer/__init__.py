"""Training 🤗 TF models in the standard TFX Trainer."""
