"""rnnkit -> PyTorch -> rnnkit: loads an rnnkit checkpoint into the DESIGN.md LM module with
load_state_dict(strict=True), perturbs nothing, and writes the module's state_dict back as a
safetensors file rnnkit must load. Also prints the PyTorch perplexity of a text so the caller can
compare it with `rnnkit eval`.

Reads what rnnkit writes (docs/FORMAT.md): F32, F16, BF16 and F64 tensors, `rnnkit quantize`'s
int8 files (dequantized as FORMAT.md's load_rnnkit_lm does, scale[:, None] * q), char- and
word-level vocabularies with their normalization; the text is read and split into tokens as
`rnnkit eval --text` does. It writes F32, without rnnkit.quantization.

usage: /usr/bin/python3 tools/torch_roundtrip.py IN.safetensors OUT.safetensors TEXT_FILE
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_fixtures import LM, with_tied_output  # noqa: E402  (DESIGN.md's module, one definition)
from pytorch_text_lm import (TextError, letters_only_line, read_text_file,  # noqa: E402
                             rnnkit_lower)

# The dtypes rnnkit reads; safetensors_io unpacks with struct, which has no bfloat16.
TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                "F64": torch.float64, "I8": torch.int8}


class Refused(Exception):
    """A file or text the tool cannot take; the message says why, in one line."""


def read_tensors(path):
    """({name: float32 tensor}, metadata); I8 tensors hold their integers (in float32)."""
    try:
        with open(path, "rb") as f:
            image = f.read()
    except OSError as e:
        raise Refused(f"cannot read {path}: {e.strerror}") from e
    entries, metadata = safetensors_io.read_header(image, path)
    tensors = {}
    for name, e in entries.items():
        if e.dtype not in TORCH_DTYPES:
            raise Refused(f"{path}: {name}: dtype {e.dtype}, which rnnkit does not read")
        dtype = TORCH_DTYPES[e.dtype]
        flat = (torch.frombuffer(bytearray(image[e.begin:e.end]), dtype=dtype) if e.end > e.begin
                else torch.empty(0, dtype=dtype))
        tensors[name] = flat.reshape(e.shape).float()
    return tensors, metadata, {name: e.dtype for name, e in entries.items()}


def dequantized(tensors, metadata, dtypes, path):
    """`rnnkit quantize`'s weights W [N, K] as I8 with W.scale [N]: scale[:, None] * q, the
    float32 weights rnnkit's products read. I8 anywhere else would be integers taken as weights."""
    quantization = metadata.get("rnnkit.quantization")
    if quantization is None:
        int8 = [name for name, dtype in dtypes.items() if dtype == "I8"]
        if int8:
            raise Refused(f"{path}: {int8[0]}: I8 in a file without rnnkit.quantization")
        return tensors
    if quantization != "int8-rowwise":
        raise Refused(f'{path}: rnnkit.quantization "{quantization}", not "int8-rowwise"')
    tensors = dict(tensors)
    for name in [n for n in tensors if n + ".scale" in tensors]:
        if dtypes[name] != "I8" or tensors[name].dim() != 2:
            raise Refused(f"{path}: {name}: a .scale beside a tensor that is not an I8 matrix")
        tensors[name] = tensors[name] * tensors.pop(name + ".scale")[:, None]
    for name in [n for n, dtype in dtypes.items() if dtype == "I8" and n in tensors]:
        if name + ".scale" not in dtypes:
            raise Refused(f"{path}: {name}: I8 without its {name}.scale")
    return tensors


def tokens_of(text, vocab):
    """The tokens of `text` as rnnkit's for_each_token has them (src/data/vocab.cpp): a char
    level splits the normalized text into code points; a word level splits each line at white
    space (str.split()), with the eos special after each newline."""
    norm = vocab.get("normalization") or {}
    if norm.get("lowercase"):
        text = rnnkit_lower(text)
    lines = text.split("\n")
    if norm.get("letters_only"):  # line by line, the line ends dropped at a char level
        lines = [letters_only_line(line) for line in lines]
        text = "".join(lines)
    if vocab["level"] == "char":
        return list(text)
    eos = (vocab.get("specials") or {}).get("eos")
    tokens = []
    for i, line in enumerate(lines):
        tokens += line.split()
        if eos and i + 1 < len(lines):
            tokens.append(eos)
    return tokens


def encode(tokens, vocab):
    """Token ids; a token outside the vocabulary is the unk special's, or refused without one."""
    index = {t: i for i, t in enumerate(vocab["tokens"])}
    unk = (vocab.get("specials") or {}).get("unk")
    unknown = sorted({t for t in tokens if t not in index})
    if unknown and unk is None:
        raise Refused(f"{len(unknown)} token(s) not in the vocabulary (which has no unk token): "
                      + ", ".join(map(json.dumps, unknown[:20])))
    return [index.get(t, index.get(unk)) for t in tokens]


def load(src):
    """The LM module with the file's weights, its config and metadata."""
    tensors, metadata, dtypes = read_tensors(src)
    c = json.loads(metadata.get("rnnkit.config", "{}"))
    if "family" in c:  # seq2seq, classifier, forecaster
        raise Refused(f"{src}: a {c['family']} model, not a language model")
    for key in ("rnnkit.config", "rnnkit.vocab"):
        if key not in metadata:
            raise Refused(f"{src}: no {key} metadata (this tool needs the configuration and the "
                          "vocabulary in the file)")
    tensors = dequantized(tensors, metadata, dtypes, src)
    try:
        model = LM(c["vocab_size"], c["embedding_dim"], c["hidden_size"], c["num_layers"],
                   c["cell"], c["bidirectional"], c["dropout"], c.get("tie_weights", False),
                   c.get("proj_size", 0))
        model.load_state_dict(with_tied_output(tensors, c), strict=True)
    except KeyError as e:
        raise Refused(f"{src}: rnnkit.config has no {e}") from e
    except RuntimeError as e:  # torch's several lines of missing, unexpected, misshapen tensors
        raise Refused(f"{src}: {' '.join(str(e).split())}") from e
    model.eval()
    return model, c, metadata


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])  # the usage line
    src, dst, text_path = sys.argv[1:4]
    try:
        model, c, metadata = load(src)
        vocab = json.loads(metadata["rnnkit.vocab"])
        ids = encode(tokens_of(read_text_file(text_path), vocab), vocab)
        if len(ids) < 2:
            raise Refused(f"{text_path}: {len(ids)} token(s), a perplexity needs 2")
    except (Refused, TextError, ValueError) as e:  # SafetensorsError, JSON errors too
        sys.exit(f"torch_roundtrip: {e}")
    ids = torch.tensor(ids).unsqueeze(1)
    with torch.no_grad():
        logits = model(ids[:-1])[0]
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), ids[1:].reshape(-1))
    print(json.dumps({"perplexity": math.exp(loss.item())}))
    out = {k: (tuple(v.shape), v.flatten().tolist()) for k, v in model.state_dict().items()}
    safetensors_io.save_f32(dst, out, {"rnnkit.config": metadata["rnnkit.config"],
                                       "rnnkit.vocab": metadata["rnnkit.vocab"]})


if __name__ == "__main__":
    main()
