"""Pipeline factories, runners and the `tfx-hf` command."""
