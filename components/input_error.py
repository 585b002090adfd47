"""InputError: the base of every error that means "what you gave is wrong" (a path, a column,
a setting, a checkpoint). The `tfx-hf` command prints it as one line and exits with status 2;
anything else is a bug or a fault and keeps its traceback."""


class InputError(ValueError):
    """Bad input, named with what to do instead. A ValueError, so callers that caught
    ValueError before keep working."""
