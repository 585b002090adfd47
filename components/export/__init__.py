"""Exporting one SavedModel that serves raw strings end to end."""
