"""Conversion of what callers pass (NumPy arrays, torch tensors, nested lists) to float32."""

import numpy as np

from ._rnnkit import Error


def as_float32(value, what):
    """A C-contiguous float32 NumPy array of `value`; torch tensors are detached and copied."""
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise Error(f"{what} is not a float array: {e}") from None
    return np.ascontiguousarray(array)
