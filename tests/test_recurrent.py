"""nn.recurrent: Elman, GRU, LSTM cells unrolled (BPTT), against NumPy, PyTorch, HIPS autograd, central differences."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from shipped_modules import assert_compiled_fit_equals_scalar

import nn
from autograd_engine import Value, gradcheck, vsum
from autograd_engine.ops import contributions
from nn import RNN, GRUCell, Linear, LSTMCell, RNNCell, Sequential, Unflatten

RNG = np.random.default_rng(0)
XS = RNG.normal(size=(5, 2))  # a sequence of 5 inputs of size 2


def data(vectors):
    return np.array([[v.data for v in x] for x in vectors])


def matrix(rows):
    return np.array([[w.data for w in row] for row in rows])


def randomise(module):
    for p in module.parameters():
        p.data = RNG.uniform(-0.8, 0.8)
    return module


def elman_reference(params, xs, activation=anp.tanh):
    W, U, b = params
    h, states = anp.zeros(U.shape[0]), []
    for x in xs:
        h = activation(W @ x + U @ h + b)
        states.append(h)
    return anp.stack(states)


def sigmoid(x):
    return 1 / (1 + anp.exp(-x))


def gru_reference(params, xs):
    """PyTorch's GRU equations (torch.nn.GRUCell's documentation), unrolled from h = 0."""
    W, U, bi, bh = params
    n = U.shape[1]
    h, states = anp.zeros(n), []
    for x in xs:
        gi, gh = W @ x + bi, U @ h + bh
        r, z = sigmoid(gi[:n] + gh[:n]), sigmoid(gi[n:2 * n] + gh[n:2 * n])
        cand = anp.tanh(gi[2 * n:] + r * gh[2 * n:])
        h = (1 - z) * cand + z * h
        states.append(h)
    return anp.stack(states)


def lstm_reference(params, xs):
    """PyTorch's LSTM equations (torch.nn.LSTMCell's documentation), unrolled from h = c = 0."""
    W, U, bi, bh = params
    n = U.shape[1]
    h, c, states = anp.zeros(n), anp.zeros(n), []
    for x in xs:
        a = W @ x + bi + U @ h + bh
        i, f, g, o = sigmoid(a[:n]), sigmoid(a[n:2 * n]), anp.tanh(a[2 * n:3 * n]), sigmoid(a[3 * n:])
        c = f * c + i * g
        h = o * anp.tanh(c)
        states.append(h)
    return anp.stack(states)


def elman_params(cell):
    return [matrix(cell.weight_ih), matrix(cell.weight_hh), np.array([b.data for b in cell.bias])]


def gru_params(cell):
    return [matrix(cell.weight_ih), matrix(cell.weight_hh), np.array([b.data for b in cell.bias_ih]),
            np.array([b.data for b in cell.bias_hh])]


CASES = {"elman": (elman_params, elman_reference), "gru": (gru_params, gru_reference),
         "lstm": (gru_params, lstm_reference)}  # GRU and LSTM keep their parameters alike


@pytest.mark.parametrize("kind", CASES)
def test_unrolled_cells_match_their_equations(kind):
    rnn = randomise(RNN(2, 3, cell=kind, seed=1))
    params, reference = CASES[kind]
    np.testing.assert_allclose(data(rnn(XS)), reference(params(rnn.cell), XS), rtol=1e-12, atol=1e-14)
    last = RNN(2, 3, cell=kind, outputs="last", seed=1)
    last.load_state_dict(rnn.state_dict())
    np.testing.assert_allclose([v.data for v in last(XS)], data(rnn(XS))[-1], rtol=1e-14)


def test_the_cells_match_pytorch():
    torch = pytest.importorskip("torch")
    gru, elman, lstm = randomise(GRUCell(2, 3, seed=0)), randomise(RNNCell(2, 3, seed=0)), randomise(LSTMCell(2, 3))
    h, c = RNG.normal(size=3), RNG.normal(size=3)
    x = XS[0]
    tg = torch.nn.GRUCell(2, 3).double()
    te = torch.nn.RNNCell(2, 3).double()
    with torch.no_grad():
        for t, p in zip([tg.weight_ih, tg.weight_hh, tg.bias_ih, tg.bias_hh], gru_params(gru)):
            t.copy_(torch.tensor(p))
        for t, p in zip([te.weight_ih, te.weight_hh, te.bias_ih], elman_params(elman)):
            t.copy_(torch.tensor(p))
        te.bias_hh.zero_()
        tl = torch.nn.LSTMCell(2, 3).double()
        for t, p in zip([tl.weight_ih, tl.weight_hh, tl.bias_ih, tl.bias_hh], gru_params(lstm)):
            t.copy_(torch.tensor(p))
        expected_gru = tg(torch.tensor(x)[None], torch.tensor(h)[None])[0].numpy()
        expected_elman = te(torch.tensor(x)[None], torch.tensor(h)[None])[0].numpy()
        expected_h, expected_c = (t[0].numpy() for t in tl(torch.tensor(x)[None], (torch.tensor(h)[None],
                                                                                   torch.tensor(c)[None])))
    np.testing.assert_allclose([v.data for v in gru(x.tolist(), h.tolist())], expected_gru, rtol=1e-12)
    np.testing.assert_allclose([v.data for v in elman(x.tolist(), h.tolist())], expected_elman, rtol=1e-12)
    got_h, got_c = lstm(x.tolist(), (h.tolist(), c.tolist()))
    np.testing.assert_allclose([v.data for v in got_h], expected_h, rtol=1e-12)
    np.testing.assert_allclose([v.data for v in got_c], expected_c, rtol=1e-12)


@pytest.mark.parametrize("kind", CASES)
def test_bptt_gradients_match_hips_autograd(kind):
    rnn = randomise(RNN(2, 3, cell=kind, seed=2))
    params, reference = CASES[kind]
    G = RNG.normal(size=(len(XS), 3))  # a loss that weighs every hidden state of every step
    xs = [[Value(v) for v in x] for x in XS.tolist()]
    vsum(h * g for hs, gs in zip(rnn(xs), G) for h, g in zip(hs, gs)).backward()
    expected = autograd.grad(lambda p: anp.sum(reference(p, XS) * G))(params(rnn.cell))
    cell = rnn.cell
    got = [[[w.grad for w in row] for row in cell.weight_ih], [[w.grad for w in row] for row in cell.weight_hh]]
    got += [[b.grad for b in cell.bias]] if kind == "elman" else [[b.grad for b in cell.bias_ih],
                                                                   [b.grad for b in cell.bias_hh]]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)
    x_grads = autograd.grad(lambda x: anp.sum(reference(params(rnn.cell), x) * G))(XS)
    np.testing.assert_allclose([[v.grad for v in x] for x in xs], x_grads, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", CASES)
def test_bptt_gradients_match_central_differences(kind):
    rnn = randomise(RNN(2, 2, cell=kind, outputs="last", seed=3))
    readout = [0.7, -1.3]
    # of the inputs at every step, through the whole unrolled graph
    assert gradcheck(lambda *v: vsum(h * r for h, r in zip(rnn(np.reshape(v, (4, 2)).tolist()), readout)),
                     RNG.normal(size=8).tolist())
    # of the recurrent weights, which every step shares
    weights = rnn.cell.weight_hh

    def of_weights(*ws):
        saved = [list(row) for row in weights]
        weights[:] = [list(ws[i:i + 2]) for i in range(0, len(ws), 2)]
        try:
            return vsum(h * r for h, r in zip(rnn(XS[:4]), readout))
        finally:
            weights[:] = saved

    assert gradcheck(of_weights, [w.data for row in weights for w in row])


def test_a_shared_weights_gradient_is_the_sum_of_its_contributions_from_every_step():
    cell = randomise(RNNCell(2, 3, seed=4))
    rnn = RNN(2, 3, seed=0)
    rnn.cell = cell
    states = rnn(XS)
    vsum(states[-1]).backward()
    w = cell.weight_hh[1][2]
    # step t's pre-activation node of unit 1 is a dot node with w among its parents; its contribution is
    # (that node's gradient) * h_{t-1}[2]
    per_step = [g for hs in states for parent, g in zip(*contributions(hs[1].parents[0], hs[1].parents[0].grad))
                if parent is w]
    assert len(per_step) == len(XS)
    assert per_step[0] == 0.0  # h_0 is zero, so the first step sends nothing
    assert w.grad == pytest.approx(sum(per_step), rel=1e-12)


def test_a_recurrent_model_saves_loads_and_trains_through_fit(tmp_path):
    X, y = nn.make_adding(8, length=4, seed=0)
    for kind in CASES:
        model = Sequential(Unflatten([4, 2]), RNN(2, 3, cell=kind, outputs="last", seed=5), Linear(3, 1, seed=6))
        nn.save(model, tmp_path / "rnn.json")
        loaded = nn.load(tmp_path / "rnn.json")
        assert repr(loaded) == repr(model) and loaded.state_dict() == model.state_dict()
        np.testing.assert_array_equal(nn.predict(loaded, X.reshape(8, -1)), nn.predict(model, X.reshape(8, -1)))
        history = nn.fit(model, X.reshape(8, -1), y, loss="mse", lr=0.05, epochs=20, progress=False)
        assert history.loss[-1] < history.loss[0] / 2


def test_shapes_parameters_and_reprs():
    assert RNNCell(2, 3, seed=0).num_parameters() == 3 * 5 + 3
    assert RNNCell(2, 3, bias=False, seed=0).num_parameters() == 15
    assert GRUCell(2, 3, seed=0).num_parameters() == 3 * 3 * 5 + 18
    assert GRUCell(2, 3, bias=False, seed=0).num_parameters() == 45
    assert np.abs(matrix(GRUCell(2, 4, seed=0).weight_hh)).max() <= 0.5
    relu = RNN(2, 3, activation="relu", seed=0)
    assert all(v.data >= 0 for h in relu(XS) for v in h)
    assert next(n for n, _ in RNN(2, 3, cell="gru", seed=0).named_parameters()) == "cell.weight_ih.0.0"
    assert repr(RNN(2, 3, activation="relu")) == "RNN(2 -> 3, elman, relu, outputs=all)"
    assert repr(RNN(2, 3, cell="gru", outputs="last")) == "RNN(2 -> 3, gru, outputs=last)"
    assert repr(GRUCell(2, 3)) == "GRUCell(2 -> 3)" and repr(RNNCell(1, 2)) == "RNNCell(1 -> 2, tanh)"
    assert repr(LSTMCell(2, 3)) == "LSTMCell(2 -> 3)"
    assert repr(RNN(2, 3, cell="lstm")) == "RNN(2 -> 3, lstm, outputs=all)"
    assert LSTMCell(2, 3, seed=0).num_parameters() == 4 * 3 * 5 + 24
    assert LSTMCell(2, 3, bias=False, seed=0).num_parameters() == 60
    assert set(nn.CELLS) == {"elman", "gru", "lstm"}
    # the state may be given, and a cell without bias computes the same as one with zero bias
    h = [0.1, -0.2, 0.3]
    a, b = RNNCell(2, 3, seed=7), RNNCell(2, 3, bias=False, seed=7)
    assert [v.data for v in a(XS[0], h)] == pytest.approx([v.data for v in b(XS[0], h)], rel=1e-14)


def test_an_lstm_takes_its_state_as_a_pair_and_unrolls_from_a_given_one():
    cell = randomise(LSTMCell(2, 2, seed=8))
    h, c = cell(XS[0])
    assert len(h) == len(c) == 2
    h2, c2 = cell(XS[1], (h, c))
    again = cell(XS[1], [[v.data for v in h], [v.data for v in c]])  # a list pair of numbers is a state too
    assert [v.data for v in again[0]] == [v.data for v in h2] and [v.data for v in again[1]] == [v.data for v in c2]
    rnn = RNN(2, 2, cell="lstm", seed=0)
    rnn.cell = cell
    assert [v.data for v in rnn(XS[1:2], (h, c))[0]] == [v.data for v in h2]


def test_make_adding_marks_one_step_in_each_half():
    X, y = nn.make_adding(50, length=12, seed=3)
    assert X.shape == (50, 12, 2) and y.shape == (50,)
    assert (X[:, :6, 1].sum(axis=1) == 1).all() and (X[:, 6:, 1].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1))
    assert ((X[:, :, 0] >= 0) & (X[:, :, 0] < 1)).all()
    np.testing.assert_array_equal(nn.make_adding(5, seed=1)[0], nn.make_adding(5, seed=1)[0])


def test_a_cell_without_bias_says_so_and_an_rnn_takes_bias(tmp_path):
    assert repr(GRUCell(2, 3, bias=False)) == "GRUCell(2 -> 3, no bias)"
    assert repr(LSTMCell(2, 3, bias=False)) == "LSTMCell(2 -> 3, no bias)"
    assert repr(RNNCell(1, 2, bias=False)) == "RNNCell(1 -> 2, tanh, no bias)"
    for kind, count in [("elman", 15), ("gru", 45), ("lstm", 60)]:
        rnn = RNN(2, 3, cell=kind, bias=False, seed=0)
        assert rnn.num_parameters() == count and rnn.config()["bias"] is False
        assert repr(rnn) == f"RNN(2 -> 3, {kind}, no bias, outputs=all)"
        nn.save(rnn, tmp_path / "rnn.json")
        loaded = nn.load(tmp_path / "rnn.json")
        assert repr(loaded) == repr(rnn) and loaded.state_dict() == rnn.state_dict()
        np.testing.assert_array_equal(data(loaded(XS)), data(rnn(XS)))
    assert RNN(2, 3, cell="gru", seed=0).num_parameters() == 63  # bias=True by default


def test_an_lstm_state_may_be_a_2_by_hidden_array_and_rnn_names_h0():
    cell = randomise(LSTMCell(2, 3, seed=9))
    h, c = RNG.normal(size=3), RNG.normal(size=3)
    by_pair = cell(XS[0], (h, c))
    by_array = cell(XS[0], np.stack([h, c]))
    assert [v.data for v in by_array[0]] == [v.data for v in by_pair[0]]
    assert [v.data for v in by_array[1]] == [v.data for v in by_pair[1]]
    rnn = RNN(2, 3, cell="lstm", seed=0)
    rnn.cell = cell
    assert [v.data for v in rnn(XS[:1], np.stack([h, c]))[0]] == [v.data for v in by_pair[0]]


@pytest.mark.parametrize("kind", ["elman-relu", "gru", "lstm"])
def test_fit_and_predict_compiled_equal_the_scalar_engine(kind):
    def make():
        cell, activation = (kind, "tanh") if kind != "elman-relu" else ("elman", "relu")
        return Sequential(Unflatten([4, 2]), RNN(2, 3, cell=cell, activation=activation, seed=0), nn.Flatten(),
                          Linear(12, 1, seed=1))

    X, y = nn.make_adding(12, length=4, seed=1)
    assert_compiled_fit_equals_scalar(make, X.reshape(12, -1), y, "mse")


def _cell(x, h=None):
    return RNNCell(2, 3, seed=0)(x, h)


ERROR_CASES = [
    ("LSTMCell-input-size-zero", lambda: LSTMCell(0, 3), ValueError, r"^input_size must be an int >= 1, got 0$"),
    ("LSTMCell-hidden-size-a-float", lambda: LSTMCell(2, 3.0), TypeError, r"^hidden_size must be an int, got float"),
    ("LSTMCell-sizes-whose-product-is-huge", lambda: LSTMCell(10**5, 10**3), ValueError,
     r"^LSTMCell\(input_size=100000, hidden_size=1000\) would have 404008000 parameters"),
    ("LSTMCell-bias-a-str", lambda: LSTMCell(2, 3, bias="yes"), TypeError, r"^bias must be a bool"),
    ("LSTMCell-state-a-number", lambda: LSTMCell(2, 3, seed=0)([1.0, 2.0], 0.0), TypeError,
     r"^LSTMCell state must be a pair \(h, c\) of vectors of 3 numbers or Values \(or an array of shape "
     r"\(2, 3\)\), or None, got float 0.0$"),
    ("LSTMCell-state-a-triple", lambda: LSTMCell(2, 1, seed=0)([1.0, 2.0], ([0.0], [0.0], [0.0])), TypeError,
     r"^LSTMCell state must be a pair \(h, c\)"),
    ("LSTMCell-state-with-a-short-c", lambda: LSTMCell(2, 3, seed=0)([1.0, 2.0], ([0.0] * 3, [0.0])), ValueError,
     r"^LSTMCell expects vectors of 3 values, got 1 in c$"),
    ("LSTMCell-state-with-a-str-h", lambda: LSTMCell(2, 3, seed=0)([1.0, 2.0], ("abc", [0.0] * 3)), TypeError,
     r"^LSTMCell h must be a vector of 3 numbers or Values"),
    ("LSTMCell-called-with-none", lambda: LSTMCell(2, 3, seed=0)(None), TypeError,
     r"^LSTMCell x must be a vector of 2 numbers or Values"),
    ("RNNCell-input-size-zero", lambda: RNNCell(0, 3), ValueError, r"^input_size must be an int >= 1, got 0$"),
    ("RNNCell-hidden-size-negative", lambda: RNNCell(2, -3), ValueError, r"^hidden_size must be an int >= 1, got -3$"),
    ("RNNCell-hidden-size-huge", lambda: RNNCell(2, 10**8), ValueError,
     r"^hidden_size must be an int from 1 to 10000000 \(nn.module.MAX_SIZE\), got 100000000$"),
    ("RNNCell-sizes-whose-product-is-huge", lambda: RNNCell(10**6, 10**4), ValueError,
     r"^RNNCell\(input_size=1000000, hidden_size=10000\) would have 10100010000 parameters"),
    ("RNNCell-input-size-a-bool", lambda: RNNCell(True, 3), TypeError, r"^input_size must be an int, got bool True$"),
    ("RNNCell-hidden-size-a-str", lambda: RNNCell(2, "3"), TypeError, r"^hidden_size must be an int, got str '3'$"),
    ("RNNCell-hidden-size-an-array", lambda: RNNCell(2, np.array([3])), TypeError,
     r"^hidden_size must be an int, got ndarray"),
    ("RNNCell-activation-unknown", lambda: RNNCell(2, 3, activation="gelu"), ValueError,
     r"^activation must be one of relu, tanh, sigmoid, leaky_relu, linear, got str 'gelu'$"),
    ("RNNCell-bias-none", lambda: RNNCell(2, 3, bias=None), TypeError, r"^bias must be a bool \(True or False\)"),
    ("RNNCell-called-with-none", lambda: _cell(None), TypeError,
     r"^RNNCell x must be a vector of 2 numbers or Values \(a list, tuple or 1-D array\), got NoneType None$"),
    ("RNNCell-called-with-a-short-x", lambda: _cell([1.0]), ValueError,
     r"^RNNCell expects vectors of 2 values, got 1 in x$"),
    ("RNNCell-called-with-a-long-h", lambda: _cell([1.0, 2.0], [0.0] * 4), ValueError,
     r"^RNNCell expects vectors of 3 values, got 4 in h$"),
    ("RNNCell-called-with-a-str-h", lambda: _cell([1.0, 2.0], "abc"), TypeError, r"^RNNCell h must be a vector of 3"),
    ("RNNCell-called-with-a-2d-array", lambda: _cell(np.zeros((2, 2))), TypeError,
     r"^RNNCell x must be a vector of 2 numbers or Values \(a list, tuple or 1-D array\), got ndarray"),
    ("GRUCell-input-size-none", lambda: GRUCell(None, 3), TypeError, r"^input_size must be an int, got NoneType None$"),
    ("GRUCell-hidden-size-zero", lambda: GRUCell(2, 0), ValueError, r"^hidden_size must be an int >= 1, got 0$"),
    ("GRUCell-sizes-whose-product-is-huge", lambda: GRUCell(10**5, 10**3), ValueError,
     r"^GRUCell\(input_size=100000, hidden_size=1000\) would have 303006000 parameters"),
    ("GRUCell-seed-a-float", lambda: GRUCell(2, 3, seed=0.5), TypeError,
     r"^seed must be an int, a random.Random or None, got float 0.5$"),
    ("GRUCell-called-with-a-bool", lambda: GRUCell(1, 2, seed=0)(True), TypeError,
     r"^GRUCell x must be a vector of 1 numbers or Values \(a list, tuple or 1-D array\), got bool True$"),
    ("GRUCell-called-with-nones", lambda: GRUCell(2, 2, seed=0)([None, 1.0]), TypeError,
     r"^GRUCell x\[0\] must be a Value or a real number, got NoneType None$"),
    ("RNN-cell-unknown", lambda: RNN(2, 3, cell="transformer"), ValueError,
     r"^cell must be one of elman, gru, lstm, got str 'transformer'$"),
    ("RNN-cell-none", lambda: RNN(2, 3, cell=None), TypeError,
     r"^cell must be one of elman, gru, lstm, got NoneType None$"),
    ("RNN-outputs-unknown", lambda: RNN(2, 3, outputs="first"), ValueError,
     r"^outputs must be one of all, last, got str 'first'$"),
    ("RNN-gru-with-another-activation", lambda: RNN(2, 3, cell="gru", activation="relu"), ValueError,
     r"^activation must be 'tanh' for cell='gru' \(the gated cell's own\), got 'relu'$"),
    ("RNN-lstm-with-another-activation", lambda: RNN(2, 3, cell="lstm", activation="sigmoid"), ValueError,
     r"^activation must be 'tanh' for cell='lstm' \(the gated cell's own\), got 'sigmoid'$"),
    ("RNN-lstm-called-with-a-lone-h0", lambda: RNN(2, 3, cell="lstm", seed=0)([[1.0, 2.0]], [0.0] * 3), TypeError,
     r"^RNN h0 must be a pair \(h, c\) of vectors of 3 numbers or Values \(or an array of shape \(2, 3\)\), "
     r"or None, got list"),
    ("RNN-lstm-called-with-a-short-c", lambda: RNN(2, 3, cell="lstm", seed=0)([[1.0, 2.0]], ([0.0] * 3, [0.0])),
     ValueError, r"^RNN expects vectors of 3 values, got 1 in h0\[1\]$"),
    ("LSTMCell-state-an-array-of-the-wrong-shape", lambda: LSTMCell(2, 3, seed=0)([1.0, 2.0], np.zeros((3, 3))),
     TypeError, r"^LSTMCell state must be a pair \(h, c\) .*got ndarray"),
    ("RNN-bias-a-str", lambda: RNN(2, 3, bias="no"), TypeError, r"^bias must be a bool \(True or False\)"),
    ("RNN-hidden-size-zero", lambda: RNN(2, 0), ValueError, r"^hidden_size must be an int >= 1, got 0$"),
    ("RNN-called-with-none", lambda: RNN(2, 3, seed=0)(None), TypeError,
     r"^RNN xs must be a sequence of vectors of 2 numbers or Values \(a list of lists or a 2-D array\), "
     r"got NoneType None$"),
    ("RNN-called-with-a-str", lambda: RNN(2, 3, seed=0)("ab"), TypeError, r"^RNN xs must be a sequence of vectors"),
    ("RNN-called-with-an-empty-sequence", lambda: RNN(2, 3, seed=0)([]), ValueError,
     r"^RNN needs a sequence of at least one vector, got an empty one$"),
    ("RNN-called-with-a-flat-vector", lambda: RNN(2, 3, seed=0)([1.0, 2.0]), TypeError,
     r"^RNN xs\[0\] must be a vector of 2 numbers or Values .*got float 1.0$"),
    ("RNN-called-with-a-wrong-size-step", lambda: RNN(2, 3, seed=0)([[1.0, 2.0], [1.0]]), ValueError,
     r"^RNN expects vectors of 2 values, got 1 in xs\[1\]$"),
    ("RNN-called-with-a-3d-array", lambda: RNN(2, 3, seed=0)(np.zeros((1, 2, 2))), TypeError,
     r"^RNN xs must be a sequence of vectors .*got ndarray"),
    ("RNN-called-with-a-wrong-h0", lambda: RNN(2, 3, seed=0)([[1.0, 2.0]], [0.0]), ValueError,
     r"^RNN expects vectors of 3 values, got 1 in h0$"),
    ("RNN-gru-called-with-a-pair-h0", lambda: RNN(2, 3, cell="gru", seed=0)([[1.0, 2.0]], ([0.0] * 3, [0.0] * 3)),
     ValueError, r"^RNN expects vectors of 3 values, got 2 in h0$"),
    ("make_adding-length-one", lambda: nn.make_adding(10, length=1), ValueError,
     r"^length must be an int from 2 to 10000000, got 1$"),
    ("make_adding-length-a-float", lambda: nn.make_adding(10, length=10.0), TypeError,
     r"^length must be an int, got float 10.0$"),
    ("make_adding-n-samples-zero", lambda: nn.make_adding(0), ValueError,
     r"^n_samples must be an int from 1 to 10000000, got 0$"),
    ("make_adding-n-samples-none", lambda: nn.make_adding(None), TypeError,
     r"^n_samples must be an int, got NoneType None$"),
    ("make_adding-too-many-values", lambda: nn.make_adding(10**6, length=10**3), ValueError,
     r"^length must be at most 50 for 1000000 samples \(n_samples \* length \* 2 <= 100000000\), got 1000$"),
    ("make_adding-seed-negative", lambda: nn.make_adding(5, seed=-2), ValueError, r"^seed must be an int >= 0"),
]
