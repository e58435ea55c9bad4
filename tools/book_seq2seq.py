#!/usr/bin/python3
"""Independent numpy re-implementation of the seq2seq addition experiment of
"Deep Learning from Scratch 2", chapter 7 (plain / reversed input / peeky).

Purpose: an independent check of how much the *book's own algorithm* varies
from seed to seed (used in docs/RESULTS.md, seq2seq section). It follows the
book's algorithm step by step (float32, init, one bias per LSTM gate, global
norm clipping at 5, the book's Adam, batch 128, a fresh permutation each epoch,
dropped last partial batch, greedy exact-match accuracy on the 5,000 test
pairs of the seed-1984 split) but is written from scratch; it needs only numpy.

Run (from /work/main):
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 tools/book_seq2seq.py --reverse
  ... --reverse --seed 3          # same 1984 split, numpy reseeded with 3 after it
  ... --reverse --peeky --epochs 25
  ... --gradcheck                 # numerical gradient check of the backward pass
One JSON line per epoch: {"epoch", "accuracy", "train_loss", "seconds"}.
Without --seed the global numpy RNG simply continues after load_data's
seed(1984) shuffle, exactly as the book's train_seq2seq.py does.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'data', 'addition.txt'))


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def load_data(path, seed=1984):
    questions, answers = [], []
    with open(path, 'r') as fh:
        for line in fh:
            k = line.find('_')
            questions.append(line[:k])
            answers.append(line[k:-1])          # drop the trailing newline
    char_to_id = {}
    for q, a in zip(questions, answers):       # ids in order of first appearance
        for ch in q + a:
            if ch not in char_to_id:
                char_to_id[ch] = len(char_to_id)
    x = np.array([[char_to_id[c] for c in q] for q in questions], dtype=np.int64)
    t = np.array([[char_to_id[c] for c in a] for a in answers], dtype=np.int64)
    idx = np.arange(len(x))
    np.random.seed(seed)
    np.random.shuffle(idx)
    x, t = x[idx], t[idx]
    split = len(x) - len(x) // 10
    return (x[:split], t[:split]), (x[split:], t[split:]), char_to_id


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
def sigmoid(x):
    with np.errstate(over='ignore'):
        return 1 / (1 + np.exp(-x))


class Seq2seq:
    """Encoder: Embedding -> LSTM (zero state) -> last h.
    Decoder: Embedding -> LSTM (h0 = encoder h, c0 = 0) -> Affine.
    peeky: encoder h is concatenated (in front) to every decoder LSTM input and
    to every affine input.  Gate order in the packed 4H axis: f, g, i, o."""

    NAMES = ('enc_E', 'enc_Wx', 'enc_Wh', 'enc_b',
             'dec_E', 'dec_Wx', 'dec_Wh', 'dec_b', 'aff_W', 'aff_b')

    def __init__(self, V, D, H, peeky=False, dtype=np.float32):
        rn = np.random.randn
        f = lambda a: a.astype(dtype)
        self.V, self.D, self.H, self.peeky, self.dtype = V, D, H, peeky, dtype
        Din = H + D if peeky else D
        Haff = 2 * H if peeky else H
        # same order of RNG draws as the book (encoder first, then decoder)
        self.params = [
            f(rn(V, D) / 100), f(rn(D, 4 * H) / np.sqrt(D)), f(rn(H, 4 * H) / np.sqrt(H)),
            f(np.zeros(4 * H)),
            f(rn(V, D) / 100), f(rn(Din, 4 * H) / np.sqrt(Din)), f(rn(H, 4 * H) / np.sqrt(H)),
            f(np.zeros(4 * H)),
            f(rn(Haff, V) / np.sqrt(Haff)), f(np.zeros(V)),
        ]

    # --- LSTM over a sequence -------------------------------------------------
    def _lstm_fwd(self, X, Wx, Wh, b, h0):
        """X: (N,T,Din). Returns hs (N,T,H) and cache."""
        N, T, _ = X.shape
        H = Wh.shape[0]
        XW = (X.reshape(N * T, -1) @ Wx).reshape(N, T, 4 * H)
        hs = np.empty((N, T, H), dtype=self.dtype)
        cs = np.empty((N, T, H), dtype=self.dtype)
        gates = np.empty((N, T, 4 * H), dtype=self.dtype)   # activated f,g,i,o
        h = h0
        c = np.zeros((N, H), dtype=self.dtype)
        for s in range(T):
            A = XW[:, s] + h @ Wh + b
            G = gates[:, s]
            G[:, :H] = sigmoid(A[:, :H])
            G[:, H:2 * H] = np.tanh(A[:, H:2 * H])
            G[:, 2 * H:] = sigmoid(A[:, 2 * H:])
            c = G[:, :H] * c + G[:, H:2 * H] * G[:, 2 * H:3 * H]
            h = G[:, 3 * H:] * np.tanh(c)
            hs[:, s] = h
            cs[:, s] = c
        return hs, (X, h0, hs, cs, gates)

    def _lstm_bwd(self, dhs, cache, Wx, Wh):
        """dhs: (N,T,H) gradient wrt every h. Returns dX, dWx, dWh, db, dh0."""
        X, h0, hs, cs, gates = cache
        N, T, H = dhs.shape
        dA = np.empty((N, T, 4 * H), dtype=self.dtype)
        dh = np.zeros((N, H), dtype=self.dtype)
        dc = np.zeros((N, H), dtype=self.dtype)
        zero = np.zeros((N, H), dtype=self.dtype)
        for s in reversed(range(T)):
            G = gates[:, s]
            f, g, i, o = G[:, :H], G[:, H:2 * H], G[:, 2 * H:3 * H], G[:, 3 * H:]
            c = cs[:, s]
            c_prev = cs[:, s - 1] if s > 0 else zero
            dh = dhs[:, s] + dh
            tc = np.tanh(c)
            ds = dc + dh * o * (1 - tc ** 2)
            dc = ds * f
            d = dA[:, s]
            d[:, :H] = ds * c_prev * f * (1 - f)
            d[:, H:2 * H] = ds * i * (1 - g ** 2)
            d[:, 2 * H:3 * H] = ds * g * i * (1 - i)
            d[:, 3 * H:] = dh * tc * o * (1 - o)
            dh = d @ Wh.T
        hprev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
        dA2 = dA.reshape(N * T, 4 * H)
        dWx = X.reshape(N * T, -1).T @ dA2
        dWh = hprev.reshape(N * T, H).T @ dA2
        db = dA2.sum(axis=0)
        dX = (dA2 @ Wx.T).reshape(N, T, -1)
        return dX, dWx, dWh, db, dh

    # --- training forward/backward ------------------------------------------
    def forward(self, xs, ts):
        eE, eWx, eWh, eb, dE, dWx, dWh, db, aW, ab = self.params
        N, Te = xs.shape
        H = self.H
        dec_in, dec_t = ts[:, :-1], ts[:, 1:]
        Td = dec_in.shape[1]
        ex = eE[xs]
        ehs, ecache = self._lstm_fwd(ex, eWx, eWh, eb, np.zeros((N, H), dtype=self.dtype))
        h = ehs[:, -1]
        dx = dE[dec_in]
        if self.peeky:
            hrep = np.broadcast_to(h[:, None, :], (N, Td, H))
            dx = np.concatenate([hrep, dx], axis=2)
        dhs, dcache = self._lstm_fwd(dx, dWx, dWh, db, h)
        aff_in = np.concatenate([hrep, dhs], axis=2) if self.peeky else dhs
        score = aff_in.reshape(N * Td, -1) @ aW + ab
        score = score - score.max(axis=1, keepdims=True)
        y = np.exp(score)
        y /= y.sum(axis=1, keepdims=True)
        tt = dec_t.reshape(-1)
        loss = -np.sum(np.log(y[np.arange(N * Td), tt])) / (N * Td)
        self.cache = (xs, dec_in, tt, ecache, dcache, aff_in, y, N, Td)
        return float(loss)

    def backward(self):
        eE, eWx, eWh, eb, dE, dWx, dWh, db, aW, ab = self.params
        xs, dec_in, tt, ecache, dcache, aff_in, y, N, Td = self.cache
        H = self.H
        dscore = y.copy()
        dscore[np.arange(N * Td), tt] -= 1
        dscore /= (N * Td)
        g_aW = aff_in.reshape(N * Td, -1).T @ dscore
        g_ab = dscore.sum(axis=0)
        daff = (dscore @ aW.T).reshape(N, Td, -1)
        if self.peeky:
            dh_peek = daff[:, :, :H].sum(axis=1)
            daff = daff[:, :, H:]
        dX, g_dWx, g_dWh, g_db, dh = self._lstm_bwd(daff, dcache, dWx, dWh)
        if self.peeky:
            dh = dh + dh_peek + dX[:, :, :H].sum(axis=1)
            dX = dX[:, :, H:]
        g_dE = np.zeros_like(dE)
        np.add.at(g_dE, dec_in.reshape(-1), dX.reshape(N * Td, -1))
        Te = xs.shape[1]
        dehs = np.zeros((N, Te, H), dtype=self.dtype)
        dehs[:, -1] = dh
        dXe, g_eWx, g_eWh, g_eb, _ = self._lstm_bwd(dehs, ecache, eWx, eWh)
        g_eE = np.zeros_like(eE)
        np.add.at(g_eE, xs.reshape(-1), dXe.reshape(N * Te, -1))
        return [g_eE, g_eWx, g_eWh, g_eb, g_dE, g_dWx, g_dWh, g_db, g_aW, g_ab]

    # --- greedy decoding (batched; equivalent to one question at a time) ------
    def generate(self, xs, start_id, size):
        eE, eWx, eWh, eb, dE, dWx, dWh, db, aW, ab = self.params
        N = xs.shape[0]
        H = self.H
        ehs, _ = self._lstm_fwd(eE[xs], eWx, eWh, eb, np.zeros((N, H), dtype=self.dtype))
        h0 = ehs[:, -1]
        h, c = h0, np.zeros((N, H), dtype=self.dtype)
        ids = np.full(N, start_id, dtype=np.int64)
        out = []
        for _ in range(size):
            x = dE[ids]
            if self.peeky:
                x = np.concatenate([h0, x], axis=1)
            A = x @ dWx + h @ dWh + db
            f = sigmoid(A[:, :H])
            g = np.tanh(A[:, H:2 * H])
            i = sigmoid(A[:, 2 * H:3 * H])
            o = sigmoid(A[:, 3 * H:])
            c = f * c + g * i
            h = o * np.tanh(c)
            a_in = np.concatenate([h0, h], axis=1) if self.peeky else h
            ids = np.argmax(a_in @ aW + ab, axis=1)
            out.append(ids)
        return np.stack(out, axis=1)


# ----------------------------------------------------------------------------
# training utilities (the book's)
# ----------------------------------------------------------------------------
def clip_grads(grads, max_norm):
    total = 0
    for g in grads:
        total += np.sum(g ** 2)
    total = np.sqrt(total)
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.b1, self.b2 = lr, beta1, beta2
        self.it = 0
        self.m = self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.it += 1
        lr_t = self.lr * np.sqrt(1.0 - self.b2 ** self.it) / (1.0 - self.b1 ** self.it)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g ** 2 - v)
            p -= lr_t * m / (np.sqrt(v) + 1e-7)


# ----------------------------------------------------------------------------
# gradient check
# ----------------------------------------------------------------------------
def gradcheck():
    ok = True
    for peeky in (False, True):
        np.random.seed(0)
        V, D, H, N, Te, Ta = 7, 3, 4, 5, 6, 4
        m = Seq2seq(V, D, H, peeky=peeky, dtype=np.float64)
        for p in m.params:                     # non-zero biases, larger weights
            p += np.random.randn(*p.shape) * 0.3
        xs = np.random.randint(0, V, (N, Te))
        ts = np.random.randint(0, V, (N, Ta))
        xs[0, :2] = xs[0, 2]                   # repeated ids exercise np.add.at
        m.forward(xs, ts)
        grads = m.backward()
        worst = 0.0
        for name, p, g in zip(Seq2seq.NAMES, m.params, grads):
            num = np.zeros_like(p)
            eps = 1e-5
            for k in np.ndindex(p.shape):
                old = p[k]
                p[k] = old + eps
                lp = m.forward(xs, ts)
                p[k] = old - eps
                lm = m.forward(xs, ts)
                p[k] = old
                num[k] = (lp - lm) / (2 * eps)
            # error relative to the parameter's largest gradient entry (entry-wise
            # relative error is meaningless for entries that are ~0)
            err = np.max(np.abs(num - g)) / max(1e-12, np.max(np.abs(num)))
            worst = max(worst, err)
            print('peeky=%d %-7s max|num-ana| / max|num| = %.2e  (max|grad| %.2e)'
                  % (peeky, name, err, np.max(np.abs(num))))
        passed = worst < 1e-6
        ok &= passed
        print('peeky=%d gradcheck %s (worst %.2e)' % (peeky, 'PASSED' if passed else 'FAILED', worst))
    return ok


# ----------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--reverse', action='store_true', help='reverse the (padded) question')
    ap.add_argument('--peeky', action='store_true', help="the book's PeekyDecoder")
    ap.add_argument('--seed', type=int, default=None,
                    help='reseed numpy after the 1984 split (default: no reseed, as the book)')
    ap.add_argument('--epochs', type=int, default=25)
    ap.add_argument('--data', default=DEFAULT_DATA)
    ap.add_argument('--gradcheck', action='store_true')
    args = ap.parse_args()

    if args.gradcheck:
        sys.exit(0 if gradcheck() else 1)

    (x_train, t_train), (x_test, t_test), char_to_id = load_data(args.data, 1984)
    if args.seed is not None:
        np.random.seed(args.seed)
    if args.reverse:
        x_train, x_test = x_train[:, ::-1], x_test[:, ::-1]
    V, D, H, batch, max_grad = len(char_to_id), 16, 128, 128, 5.0
    model = Seq2seq(V, D, H, peeky=args.peeky)
    opt = Adam()
    n = len(x_train)
    max_iters = n // batch
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        idx = np.random.permutation(np.arange(n))
        xe, te = x_train[idx], t_train[idx]
        total = 0.0
        for it in range(max_iters):
            bx = xe[it * batch:(it + 1) * batch]
            bt = te[it * batch:(it + 1) * batch]
            total += model.forward(bx, bt)
            grads = model.backward()
            clip_grads(grads, max_grad)
            opt.update(model.params, grads)
        guess = model.generate(x_test, t_test[0, 0], t_test.shape[1] - 1)
        acc = float(np.mean(np.all(guess == t_test[:, 1:], axis=1)))
        print(json.dumps({'epoch': epoch, 'accuracy': acc, 'train_loss': round(total / max_iters, 6),
                          'seconds': round(time.time() - t0, 2)}), flush=True)


if __name__ == '__main__':
    main()
