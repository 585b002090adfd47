"""The served model: one SavedModel that serves raw strings end to end.

- `serving_model.export_serving_model` writes it (signatures, assets.extra);
- `requirements` writes and reads its `assets.extra/requirements.txt`;
- `serve_check.check` checks it runs where only TensorFlow and TensorFlow Text are;
- `predict.predict` answers texts with it, shown as its task shows a prediction.
Its layout and `model_info.json` are contracts (components/contracts.py).
"""
