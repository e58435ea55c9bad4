"""Conversion of what callers pass (NumPy arrays, torch tensors, nested lists) to NumPy arrays."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._rnnkit import Error


def as_array(value: Any, what: str) -> npt.NDArray[Any]:
    """`value` as a NumPy array of real numbers, sharing the memory of a NumPy array or a CPU
    torch tensor: _rnnkit reads a float32 C-contiguous one in place and converts any other once,
    so nothing is copied here."""
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # NumPy has no bfloat16; widening is exact
            value = value.float()
        value = value.numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise Error(f"{what} is not a float array: {e}") from None
    if array.dtype.kind not in "biuf":
        raise Error(f"{what} is not a float array: it holds {array.dtype}")
    return array
