"""LanguageModel.from_torch / to_torch_state_dict against a torch char model trained here."""

import math

import numpy as np
import pytest

import rnnkit

torch = pytest.importorskip("torch")
nn = torch.nn

TEXT = ("the cat sat on the mat. the dog sat on the log.\n"
        "a cat and a dog sat on a mat and a log.\n")


class LM(nn.Module):
    """DESIGN.md's language model (tools/make_fixtures.py's LM without its extras)."""

    def __init__(self, V, E, H, L, cell, bidirectional=False):
        super().__init__()
        if E:
            self.embedding = nn.Embedding(V, E)
        self.V = V
        rnn = {"rnn_tanh": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell.replace("relu", "tanh")]
        self.rnn = rnn(E or V, H, L, bidirectional=bidirectional,
                       **({"nonlinearity": "relu"} if cell == "rnn_relu" else {}))
        self.fc = nn.Linear(H * (2 if bidirectional else 1), V)

    def forward(self, ids):  # ids [T] -> logits [T, V], from a zero state
        x = self.embedding(ids) if hasattr(self, "embedding") else \
            nn.functional.one_hot(ids, self.V).float()
        y, _ = self.rnn(x.unsqueeze(1))
        return self.fc(y.squeeze(1))


def trained(cell, E, L, bidirectional=False):
    torch.manual_seed(3)
    tokens = sorted(set(TEXT))
    ids = torch.tensor([tokens.index(c) for c in TEXT])
    model = LM(len(tokens), E, 12, L, cell, bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(5):  # a few steps, so that the weights are not torch's initial ones
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(ids[:-1]), ids[1:])
        loss.backward()
        optimizer.step()
    model.eval()
    return model, tokens, ids


def torch_perplexity(model, ids):
    with torch.no_grad():
        logits = model(ids[:-1]).double()
    return math.exp(nn.functional.cross_entropy(logits, ids[1:]).item())


@pytest.mark.parametrize("cell,E,L,bidirectional", [
    ("lstm", 8, 2, False), ("gru", 0, 1, False), ("rnn_tanh", 6, 1, True),
    ("rnn_relu", 6, 2, False)])
def test_perplexity_equals_torch(cell, E, L, bidirectional):
    model, tokens, ids = trained(cell, E, L, bidirectional)
    lm = rnnkit.LanguageModel.from_torch(model, tokens)
    assert lm.config["cell"] == cell and lm.config["num_layers"] == L
    assert lm.config["embedding_dim"] == E and lm.config["bidirectional"] == bidirectional
    expected = torch_perplexity(model, ids)
    assert lm.perplexity(TEXT) == pytest.approx(expected, rel=1e-5)


def test_round_trip_loads_strictly_and_gives_identical_logits():
    model, tokens, ids = trained("lstm", 8, 2)
    lm = rnnkit.LanguageModel.from_torch(model.state_dict(), tokens)
    state = lm.to_torch_state_dict()
    assert all(isinstance(t, torch.Tensor) for t in state.values())
    copy = LM(len(tokens), 8, 12, 2, "lstm")
    copy.load_state_dict(state, strict=True)
    copy.eval()
    with torch.no_grad():
        assert torch.equal(copy(ids), model(ids))


def test_given_config_and_vocab_dict(tmp_path):
    model, tokens, _ = trained("gru", 8, 1)
    inferred = rnnkit.LanguageModel.from_torch(model, tokens)
    vocab = {"level": "char", "tokens": tokens, "specials": {"unk": " "}}
    lm = rnnkit.LanguageModel.from_torch(model, vocab, config=inferred.config)
    assert lm.vocab_metadata["specials"]["unk"] == " "
    assert lm.perplexity("the cat!") == pytest.approx(inferred.perplexity("the cat "), rel=1e-6)
    lm.save(tmp_path / "m.safetensors")  # a file rnnkit eval reads, vocabulary included
    assert rnnkit.LanguageModel.load(tmp_path / "m.safetensors").vocab == tokens


def test_perplexity_reads_the_text_as_eval_reads_a_file():
    # A leading byte order mark dropped, CRLF and a lone CR read as LF, as rnnkit eval --text.
    model, tokens, _ = trained("gru", 8, 1)
    lm = rnnkit.LanguageModel.from_torch(model, tokens)
    assert lm.perplexity("\ufeffthe cat\r\nthe\rat") == lm.perplexity("the cat\nthe\nat")


def test_bad_inputs_are_named():
    model, tokens, _ = trained("gru", 8, 1)
    with pytest.raises(rnnkit.Error, match="vocabulary has 3 tokens"):
        rnnkit.LanguageModel.from_torch(model, ["a", "b", "c"])
    config = rnnkit.LanguageModel.from_torch(model, tokens).config
    with pytest.raises(rnnkit.Error, match="hidden_size"):
        rnnkit.LanguageModel.from_torch(model, tokens, config={**config, "hidden_size": 13})
    state = model.state_dict()
    del state["fc.weight"]
    with pytest.raises(rnnkit.Error, match="fc.weight"):
        rnnkit.LanguageModel.from_torch(state, tokens)
    with pytest.raises(rnnkit.Error, match="torch module or its state_dict"):
        rnnkit.LanguageModel.from_torch(42, tokens)


def test_state_dict_as_numpy_without_torch(monkeypatch):
    model, tokens, _ = trained("gru", 0, 1)
    lm = rnnkit.LanguageModel.from_torch(model, tokens)
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # import torch fails
    state = lm.to_torch_state_dict()
    assert set(state) == set(model.state_dict())
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in state.values())
    np.testing.assert_array_equal(state["fc.bias"], model.fc.bias.detach().numpy())


def test_a_module_gives_its_dropout_and_tying():
    torch.manual_seed(4)
    tokens = sorted(set(TEXT))
    model = LM(len(tokens), 12, 12, 2, "lstm")
    model.rnn.dropout = 0.25
    model.fc.weight = model.embedding.weight  # tied: one Parameter
    model.eval()
    lm = rnnkit.LanguageModel.from_torch(model, tokens)
    assert lm.config["dropout"] == 0.25 and lm.config["tie_weights"] is True
    ids = torch.tensor([tokens.index(c) for c in TEXT])
    assert lm.perplexity(TEXT) == pytest.approx(torch_perplexity(model, ids), rel=1e-5)
    # Its state_dict alone says neither.
    plain = rnnkit.LanguageModel.from_torch(model.state_dict(), tokens)
    assert plain.config["dropout"] == 0 and plain.config["tie_weights"] is False


def test_bfloat16_tensors_are_widened():
    model, tokens, ids = trained("gru", 8, 1)
    halved = {name: t.bfloat16() for name, t in model.state_dict().items()}
    lm = rnnkit.LanguageModel.from_torch(halved, tokens)
    widened = {name: t.float() for name, t in halved.items()}
    model.load_state_dict(widened)
    assert lm.perplexity(TEXT) == pytest.approx(torch_perplexity(model, ids), rel=1e-5)
