"""Pushing a blessed serving model to a TF Serving model base path."""
