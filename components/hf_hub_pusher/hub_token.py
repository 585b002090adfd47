"""The Hub token, read at run time from a mounted secret file or an environment variable.

Only where to find the token is ever configured (a file path, a variable name): exec
properties are stored in MLMD in clear, so the token itself never travels through them.
"""
import os
from typing import Optional

import tensorflow as tf

from tfx_hf.components.input_error import InputError

DEFAULT_TOKEN_ENV = "HF_TOKEN"


class MissingTokenError(InputError):
    """No Hub token where the pusher was told to look."""


def read_token(token_env: Optional[str] = DEFAULT_TOKEN_ENV,
               token_file: Optional[str] = None) -> str:
    """The token in `token_file` if one is named, else in the `token_env` variable.

    A named file that is missing or empty is an error, not a reason to fall back to the
    variable: the user asked for that secret. The messages name where the token was looked
    for, never what was found."""
    if token_file:
        if not tf.io.gfile.exists(token_file):
            raise MissingTokenError(
                f"token_file={token_file!r} does not exist: mount the Hub token secret there "
                f"or leave token_file unset to read ${token_env or DEFAULT_TOKEN_ENV}.")
        with tf.io.gfile.GFile(token_file, "r") as f:
            token = f.read().strip()
        if not token:
            raise MissingTokenError(f"token_file={token_file!r} is empty: it must hold a Hub "
                                    "token with write access.")
        return token
    name = token_env or DEFAULT_TOKEN_ENV
    token = os.environ.get(name, "").strip()
    if not token:
        raise MissingTokenError(
            f"No Hub token: set the ${name} environment variable to a token with write access "
            "(or give token_file, the path of a mounted secret file holding it).")
    return token
