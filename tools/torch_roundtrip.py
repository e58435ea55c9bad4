"""rnnkit -> PyTorch -> rnnkit: loads an rnnkit checkpoint into the DESIGN.md LM module with
load_state_dict(strict=True), perturbs nothing, and writes the module's state_dict back as a
safetensors file rnnkit must load. Also prints the PyTorch perplexity of a text so the caller can
compare it with `rnnkit eval`.

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


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])  # the usage line
    src, dst, text_path = sys.argv[1:4]
    tensors, metadata = safetensors_io.load(src)
    c = json.loads(metadata["rnnkit.config"])
    model = LM(c["vocab_size"], c["embedding_dim"], c["hidden_size"], c["num_layers"], c["cell"],
               c["bidirectional"], c["dropout"], c.get("tie_weights", False),
               c.get("proj_size", 0))
    state = {k: torch.tensor(v.values, dtype=torch.float32).reshape(v.shape) for k, v in tensors.items()}
    model.load_state_dict(with_tied_output(state, c), strict=True)
    model.eval()
    vocab = json.loads(metadata["rnnkit.vocab"])
    index = {t: i for i, t in enumerate(vocab["tokens"])}
    with open(text_path, encoding="utf-8") as f:
        ids = torch.tensor([index[ch] for ch in f.read()]).unsqueeze(1)
    with torch.no_grad():
        logits = model(ids[:-1])[0]
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), ids[1:].reshape(-1))
    print(json.dumps({"perplexity": math.exp(loss.item())}))
    out = {k: (tuple(v.shape), v.flatten().tolist()) for k, v in model.state_dict().items()}
    safetensors_io.save_f32(dst, out, {"rnnkit.config": metadata["rnnkit.config"],
                                       "rnnkit.vocab": metadata["rnnkit.vocab"]})


if __name__ == "__main__":
    main()
