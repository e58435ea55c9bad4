"""Conversion of what callers pass (NumPy arrays, torch tensors, nested lists) to float32."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._rnnkit import Error


def as_float32(value: Any, what: str) -> npt.NDArray[np.float32]:
    """A C-contiguous float32 NumPy array of `value`; torch tensors are detached and copied."""
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise Error(f"{what} is not a float array: {e}") from None
    return np.ascontiguousarray(array)
