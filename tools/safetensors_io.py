"""A small safetensors reader/writer in plain Python (json + struct), for the tools.

The `safetensors` package is not installed next to Debian's python3-torch, and the tools only
need float32 tensors, so this module implements the format directly:

    8-byte little-endian u64 N | N bytes of JSON header | data buffer

The header is a JSON object mapping each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data buffer), plus an
optional "__metadata__" object of string to string. The writer stores every tensor as F32 in
name order, packed without gaps, and pads the header with spaces to a multiple of 8 bytes. The
reader validates the layout strictly (offsets in range, sizes matching the shapes, no gaps, no
overlaps), so it doubles as an independent check of files written by other programs.
read_header() gives that validated layout alone (each tensor's byte range), for callers that
read large or bfloat16 data themselves (torch.frombuffer) instead of as Python lists.

The module does not import torch: a tensor is a (shape, flat row-major values) pair.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

METADATA_KEY = "__metadata__"

# Element size of the dtypes whose layout the reader checks, and the struct format character of
# those parse() can also unpack (Python's struct has no bfloat16; read_header() callers that hold
# torch read BF16 and I8 themselves).
_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1}
_STRUCT_CODES = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i"}


class TensorData(NamedTuple):
    dtype: str
    shape: Tuple[int, ...]
    values: List[float]  # flat, row-major


class SafetensorsError(ValueError):
    pass


def _element_count(shape: Sequence[int]) -> int:
    return math.prod(shape)  # 1 for a 0-rank tensor, as in the format


def serialize_f32(
    tensors: Mapping[str, Tuple[Sequence[int], Sequence[float]]],
    metadata: Optional[Mapping[str, str]] = None,
) -> bytes:
    """Returns the file image: every tensor as little-endian F32, packed in name order."""
    header: Dict[str, object] = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise SafetensorsError(f"metadata must map str to str, got {key!r}: {value!r}")
        header[METADATA_KEY] = dict(metadata)
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == METADATA_KEY:
            raise SafetensorsError(f"{METADATA_KEY} is not a valid tensor name")
        shape, values = tensors[name]
        shape = [int(d) for d in shape]
        if len(values) != _element_count(shape):
            raise SafetensorsError(f"{name}: {len(values)} values for shape {shape}")
        data = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


def save_f32(
    path: str,
    tensors: Mapping[str, Tuple[Sequence[int], Sequence[float]]],
    metadata: Optional[Mapping[str, str]] = None,
) -> None:
    with open(path, "wb") as f:
        f.write(serialize_f32(tensors, metadata))


class TensorEntry(NamedTuple):
    dtype: str
    shape: Tuple[int, ...]
    begin: int  # byte offsets in the whole file image
    end: int


def read_header(image: bytes, what: str = "<bytes>") -> Tuple[Dict[str, TensorEntry], Dict[str, str]]:
    """Reads and validates the header of a file image: ({name: TensorEntry}, metadata)."""
    if len(image) < 8:
        raise SafetensorsError(f"{what}: shorter than the 8-byte header length")
    (header_len,) = struct.unpack_from("<Q", image, 0)
    if header_len > len(image) - 8:
        raise SafetensorsError(f"{what}: header length {header_len} exceeds the file")
    try:
        header = json.loads(image[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{what}: header is not UTF-8 JSON: {e}") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{what}: header is not a JSON object")
    data_size = len(image) - 8 - header_len

    metadata = header.pop(METADATA_KEY, {}) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SafetensorsError(f"{what}: {METADATA_KEY} must map str to str")

    entries: Dict[str, TensorEntry] = {}
    spans = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"{what}: {name}: malformed entry {entry!r}")
        dtype, shape, (begin, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        if dtype not in _SIZES:
            raise SafetensorsError(f"{what}: {name}: unsupported dtype {dtype}")
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise SafetensorsError(f"{what}: {name}: bad shape {list(shape)}")
        if not (0 <= begin <= end <= data_size) or end - begin != _element_count(shape) * _SIZES[dtype]:
            raise SafetensorsError(
                f"{what}: {name}: data_offsets [{begin}, {end}] do not fit shape {list(shape)} "
                f"of {dtype} in a {data_size}-byte buffer"
            )
        entries[name] = TensorEntry(dtype, shape, 8 + header_len + begin, 8 + header_len + end)
        spans.append((begin, end, name))

    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise SafetensorsError(
                f"{what}: {name}: gap or overlap at byte {begin} (expected {position})")
        position = end
    if position != data_size:
        raise SafetensorsError(f"{what}: {data_size - position} trailing bytes after the last tensor")
    return entries, metadata


def parse(image: bytes, what: str = "<bytes>") -> Tuple[Dict[str, TensorData], Dict[str, str]]:
    """Parses a whole file image into ({name: TensorData}, metadata), validating the layout."""
    entries, metadata = read_header(image, what)
    tensors: Dict[str, TensorData] = {}
    for name, e in entries.items():
        if e.dtype not in _STRUCT_CODES:
            raise SafetensorsError(f"{what}: {name}: dtype {e.dtype} cannot be unpacked without torch")
        count = _element_count(e.shape)
        values = list(struct.unpack_from(f"<{count}{_STRUCT_CODES[e.dtype]}", image, e.begin))
        tensors[name] = TensorData(e.dtype, e.shape, values)
    return tensors, metadata


def load(path: str) -> Tuple[Dict[str, TensorData], Dict[str, str]]:
    with open(path, "rb") as f:
        return parse(f.read(), path)
