"""Checks of call arguments that pybind11 would otherwise refuse with a TypeError dumping the
handle's signature: integers past C's range and text that is not Unicode (a lone surrogate)."""

import operator
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._rnnkit import Error


def integer(value: Any, what: str, bits: int = 32) -> int:
    """`value` (an int or a NumPy integer) within a signed C integer of `bits` bits; Error
    naming `what` otherwise. The library checks the option's own range after."""
    try:
        number = operator.index(value)
    except TypeError:
        raise Error(f"{what} must be an integer, got {value!r}") from None
    limit = 2 ** (bits - 1)
    if not -limit <= number < limit:
        raise Error(f"{what} must be in [-2**{bits - 1}, 2**{bits - 1}), got {number}")
    return number


def text(value: Any, what: str) -> Any:
    """A str that UTF-8 can encode, as it is; Error naming `what` for one that holds a lone
    surrogate (as a file name decoded with surrogateescape can). Other types go on to pybind11,
    which refuses them by type."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise Error(f"{what} is not valid Unicode text: {e.reason} at position {e.start} "
                        f"({value[e.start:e.end]!r})") from None
    return value


def texts(values: Iterable[str], what: str) -> list[str]:
    """A list of texts, each as `text` checks it; Error for one string given as the list."""
    if isinstance(values, str):
        raise Error(f"{what} is a list of strings, not one string")
    return [text(value, f"{what}[{i}]") for i, value in enumerate(values)]


def in_python_terms(error: Error, keywords: Mapping[str, str]) -> Error:
    """`error` with the command-line flags its message names (the library's checks are the
    command line's) given as the keyword arguments of the Python call: `keywords` maps a flag
    ("--text") to its keyword ("text_path"); other flags stay as they are."""
    message = re.sub(r"--[a-z][a-z0-9-]*",
                     lambda flag: keywords.get(flag.group(0), flag.group(0)), str(error))
    error.args = (message,)
    return error

