"""File names as the library opens them."""

import os
from typing import Union

Path = Union[str, bytes, os.PathLike]


def _path(path: Path) -> str:
    """`path` as the text the library opens: str, bytes or os.PathLike (None is a TypeError), and
    no NUL, which would end the name early (Python's open() refuses it too)."""
    text = os.fsdecode(os.fspath(path))
    if "\0" in text:
        raise ValueError(f"embedded null byte in the path {text!r}")
    return text
