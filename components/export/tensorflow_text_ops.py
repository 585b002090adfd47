"""Importing this module registers the tensorflow-text ops our exported models use.

A process that loads such a model must import tensorflow_text first. Give this module as
`module_path` to standard components that load the model in their own process (Evaluator,
BulkInferrer): TFX imports it before the model is loaded, there and on Vertex/KFP.
"""
import tensorflow_text  # noqa: F401
