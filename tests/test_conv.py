"""nn.conv: Conv2d, MaxPool2d, Flatten and Unflatten against NumPy, HIPS autograd and central differences."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from shipped_modules import assert_compiled_fit_equals_scalar

import nn
from autograd_engine import Value, gradcheck, vsum
from autograd_engine.ops import contributions
from nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential, Unflatten

RNG = np.random.default_rng(0)
IMAGE = RNG.normal(size=(2, 5, 6))  # 2 channels, 5 x 6


def data(nested):
    return np.array(nested if isinstance(nested, float) else
                    [data(n) for n in nested] if isinstance(nested, list) else nested.data)


def weights(conv):
    return np.array([[[[w.data for w in row] for row in ch] for ch in k] for k in conv.weight])


def reference_conv(x, w, b, stride, padding):
    """Cross-correlation in (autograd-)NumPy: the definition, position by position."""
    x = anp.pad(x, ((0, 0), (padding, padding), (padding, padding)), mode="constant")
    k = w.shape[2]
    out_h, out_w = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    rows = []
    for r in range(out_h):
        cols = []
        for q in range(out_w):
            patch = x[:, r * stride:r * stride + k, q * stride:q * stride + k]
            cols.append(anp.sum(w * patch[None], axis=(1, 2, 3)) + b)
        rows.append(anp.stack(cols, axis=1))
    return anp.stack(rows, axis=1)  # out_channels x out_h x out_w


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (1, 1), (2, 2)])
def test_conv2d_matches_the_definition(stride, padding):
    conv = Conv2d(2, 3, 3, stride=stride, padding=padding, seed=1)
    for b in conv.bias:
        b.data = RNG.normal()
    out = data(conv(IMAGE.tolist()))
    expected = reference_conv(IMAGE, weights(conv), data(conv.bias), stride, padding)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_and_maxpool2d_match_pytorch():
    torch = pytest.importorskip("torch")
    conv = Conv2d(2, 3, 3, stride=2, padding=1, seed=6)
    for b in conv.bias:
        b.data = RNG.normal()
    expected = torch.nn.functional.conv2d(torch.tensor(IMAGE)[None], torch.tensor(weights(conv)),
                                          torch.tensor(data(conv.bias)), stride=2, padding=1)[0]
    np.testing.assert_allclose(data(conv(IMAGE)), expected.numpy(), rtol=1e-12, atol=1e-14)
    pooled = torch.nn.functional.max_pool2d(torch.tensor(IMAGE)[None], 2, stride=1)[0]
    np.testing.assert_array_equal(data(MaxPool2d(2, stride=1)(IMAGE)), pooled.numpy())


def test_conv2d_shapes_bias_activation_and_init():
    conv = Conv2d(2, 4, 3, seed=0)
    assert conv.num_parameters() == 4 * 2 * 9 + 4
    assert np.abs(weights(conv)).max() <= 1 / np.sqrt(18)
    assert [n for n, _ in conv.named_parameters()][:2] == ["weight.0.0.0.0", "weight.0.0.0.1"]
    assert Conv2d(2, 4, 3, bias=False, seed=0).num_parameters() == 72
    relu = Conv2d(2, 4, 3, activation="relu", seed=0)
    linear = Conv2d(2, 4, 3, seed=0)
    np.testing.assert_array_equal(data(relu(IMAGE)), np.maximum(data(linear(IMAGE)), 0.0))
    assert data(Conv2d(1, 1, 5, seed=0)(np.ones((1, 5, 5)))).shape == (1, 1, 1)
    assert repr(Conv2d(1, 2, 3, stride=2, padding=1, bias=False, activation="relu")) == \
        "Conv2d(1 -> 2, kernel_size=3, stride=2, padding=1, no bias, relu)"


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv2d_gradients_match_hips_autograd(stride, padding):
    conv = Conv2d(2, 2, 3, stride=stride, padding=padding, seed=3)
    x = [[[Value(v) for v in row] for row in ch] for ch in IMAGE.tolist()]
    out = conv(x)
    G = RNG.normal(size=data(out).shape)  # a fixed random weighting of the outputs
    vsum(o * g for o, g in zip(Flatten()(out), G.ravel())).backward()

    def loss(w, b, xs):
        return anp.sum(reference_conv(xs, w, b, stride, padding) * G)

    w, b = weights(conv), data(conv.bias)
    np.testing.assert_allclose([[[[v.grad for v in r] for r in c] for c in k] for k in conv.weight],
                               autograd.grad(loss, 0)(w, b, IMAGE), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([v.grad for v in conv.bias], autograd.grad(loss, 1)(w, b, IMAGE), rtol=1e-10)
    np.testing.assert_allclose([[[v.grad for v in r] for r in c] for c in x],
                               autograd.grad(loss, 2)(w, b, IMAGE), rtol=1e-10, atol=1e-12)


def test_conv2d_gradients_match_central_differences():
    conv = Conv2d(1, 2, 2, stride=1, padding=1, activation="tanh", seed=4)
    image = RNG.normal(size=(1, 3, 3))
    G = RNG.normal(size=(2, 4, 4))

    def of_inputs(*pixels):
        return vsum(o * g for o, g in zip(Flatten()(conv(np.reshape(pixels, (1, 3, 3)).tolist())), G.ravel()))

    def of_kernel(*ws):  # the second kernel made of gradcheck's leaves
        saved, conv.weight[1] = conv.weight[1], [[list(ws[:2]), list(ws[2:])]]
        try:
            return vsum(o * g for o, g in zip(Flatten()(conv(image)), G.ravel()))
        finally:
            conv.weight[1] = saved

    assert gradcheck(of_inputs, image.ravel().tolist())
    assert gradcheck(of_kernel, RNG.normal(size=4).tolist())


def test_a_kernel_weights_gradient_is_the_sum_of_its_contributions_from_every_position():
    conv = Conv2d(2, 2, 3, stride=1, seed=5)
    x = IMAGE.tolist()
    out = conv(x)
    G = RNG.normal(size=data(out).shape)
    vsum(o * g for o, g in zip(Flatten()(out), G.ravel())).backward()
    for o, c, i, j in [(0, 0, 0, 0), (1, 1, 2, 1), (0, 1, 1, 2)]:
        w = conv.weight[o][c][i][j]
        # by hand: position (r, q) sends d loss/d out[o][r][q] times the pixel the weight met there
        by_hand = [G[o, r, q] * IMAGE[c, r + i, q + j] for r in range(3) for q in range(4)]
        # by the engine: each output node's own step of the chain rule, its contribution to this weight
        by_engine = [g for node in Flatten()(out[o]) for parent, g in zip(*contributions(node, node.grad))
                     if parent is w]
        assert len(by_hand) == len(by_engine) == 12  # one per position of the 3 x 4 output
        np.testing.assert_allclose(by_engine, by_hand, rtol=1e-12)
        assert w.grad == pytest.approx(sum(by_hand), rel=1e-12)


def test_maxpool_matches_numpy_and_sends_the_gradient_to_the_largest():
    pool = MaxPool2d(2)
    out = pool(IMAGE.tolist())
    expected = IMAGE[:, :4, :6].reshape(2, 2, 2, 3, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(data(out), expected)
    assert data(MaxPool2d(3, stride=1)(IMAGE)).shape == (2, 3, 4)
    assert data(MaxPool2d(2, stride=3)(IMAGE)).shape == (2, 2, 2)
    x = [[[Value(v) for v in row] for row in ch] for ch in IMAGE.tolist()]
    vsum(Flatten()(pool(x))).backward()
    grads = data([[[v.grad for v in row] for row in ch] for ch in x])
    windows = IMAGE[:, :4, :6].reshape(2, 2, 2, 3, 2)
    is_max = (windows == windows.max(axis=(2, 4), keepdims=True)).reshape(2, 4, 6)
    np.testing.assert_array_equal(grads[:, :4, :6], is_max.astype(float))
    assert grads[:, 4:, :].sum() == 0.0  # the last row is in no window
    G = RNG.normal(size=(1, 2, 2))
    assert gradcheck(lambda *p: vsum(o * g for o, g in zip(Flatten()(pool(np.reshape(p, (1, 4, 4)).tolist())),
                                                        G.ravel())), RNG.normal(size=16).tolist())
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2)" and repr(MaxPool2d(3, 1)) == \
        "MaxPool2d(kernel_size=3, stride=1)"


def test_flatten_and_unflatten_are_inverse_and_pass_gradients_unchanged():
    flat = Flatten()(IMAGE)
    assert [v.data for v in flat] == IMAGE.ravel().tolist()
    back = Unflatten([2, 5, 6])(flat)
    assert back[1][4][5] is flat[-1]
    np.testing.assert_array_equal(data(back), IMAGE)
    assert [v.data for v in Flatten()([1.0, [2.0, [3.0]], (Value(4.0),)])] == [1.0, 2.0, 3.0, 4.0]
    xs = [Value(float(i)) for i in range(6)]
    vsum(v * (i + 1) for i, v in enumerate(Flatten()(Unflatten([3, 2])(xs)))).backward()
    assert [x.grad for x in xs] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert repr(Unflatten((1, 8, 8))) == "Unflatten([1, 8, 8])" and repr(Flatten()) == "Flatten()"


def test_a_cnn_saves_loads_and_trains_on_flat_rows(tmp_path):
    model = Sequential(Unflatten([1, 6, 6]), Conv2d(1, 2, 3, seed=0), MaxPool2d(2), Flatten(),
                       nn.Activation("relu"), Linear(8, 3, seed=1))
    X = RNG.normal(size=(6, 36))
    nn.save(model, tmp_path / "cnn.json")
    loaded = nn.load(tmp_path / "cnn.json")
    assert repr(loaded) == repr(model) and loaded.state_dict() == model.state_dict()
    np.testing.assert_array_equal(nn.predict(loaded, X), nn.predict(model, X))
    history = nn.fit(model, X, [0, 1, 2, 0, 1, 2], loss="cross_entropy", lr=0.05, epochs=30, progress=False)
    assert history.loss[-1] < history.loss[0] / 2


def test_maxpool_shares_a_tie_along_its_chain_of_maximum_nodes():
    # a window is maximum(maximum(maximum(a, b), c), d): each node halves a tie, so equal values get
    # 1/8, 1/8, 1/4, 1/2 of the gradient (PyTorch gives it all to the first); the total is always kept
    x = [[[Value(1.0) for _ in range(2)] for _ in range(2)]]
    MaxPool2d(2)(x)[0][0][0].backward()
    assert [[v.grad for v in row] for row in x[0]] == [[0.125, 0.125], [0.25, 0.5]]
    x = [[[Value(v) for v in row] for row in [[3.0, 1.0], [3.0, 2.0]]]]
    MaxPool2d(2)(x)[0][0][0].backward()
    assert [[v.grad for v in row] for row in x[0]] == [[0.5, 0.0], [0.5, 0.0]]


def test_a_3d_array_is_an_image_and_a_list_that_holds_itself_is_refused():
    conv = Conv2d(2, 1, 3, seed=0)
    assert data(conv(IMAGE)).tolist() == data(conv(IMAGE.tolist())).tolist()
    assert data(conv(IMAGE.astype(np.float32))).shape == (1, 3, 4)
    loop = [1.0]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"^Flatten input is nested more than 100 levels deep"):
        Flatten()(loop)
    deep = 1.0
    for _ in range(100):
        deep = [deep]
    assert [v.data for v in Flatten()(deep)] == [1.0]  # 100 levels are allowed


@pytest.mark.parametrize("name", ["conv-stride-padding-pool", "conv-no-bias-relu"])
def test_fit_and_predict_compiled_equal_the_scalar_engine(name):
    def make():
        if name == "conv-stride-padding-pool":
            return Sequential(Unflatten([2, 5, 6]), Conv2d(2, 3, 3, stride=2, padding=1, activation="tanh", seed=0),
                              MaxPool2d(2, stride=1), Flatten(), Linear(12, 3, seed=1))
        return Sequential(Unflatten([2, 5, 6]), Conv2d(2, 2, 2, bias=False, activation="relu", seed=2),
                          MaxPool2d(2), Flatten(), Linear(8, 3, seed=3))

    X, y = np.random.default_rng(1).normal(size=(12, 60)), np.arange(12) % 3
    assert_compiled_fit_equals_scalar(make, X, y, "cross_entropy")


def _conv(x):
    return Conv2d(2, 1, 3, seed=0)(x)


ERROR_CASES = [
    ("Conv2d-in-channels-zero", lambda: Conv2d(0, 1, 3), ValueError, r"^in_channels must be an int >= 1, got 0$"),
    ("Conv2d-out-channels-negative", lambda: Conv2d(1, -2, 3), ValueError,
     r"^out_channels must be an int >= 1, got -2$"),
    ("Conv2d-kernel-size-a-bool", lambda: Conv2d(1, 1, True), TypeError,
     r"^kernel_size must be an int, got bool True$"),
    ("Conv2d-kernel-size-none", lambda: Conv2d(1, 1, None), TypeError,
     r"^kernel_size must be an int, got NoneType None$"),
    ("Conv2d-kernel-size-a-str", lambda: Conv2d(1, 1, "3"), TypeError, r"^kernel_size must be an int, got str '3'$"),
    ("Conv2d-kernel-size-an-array", lambda: Conv2d(1, 1, np.array([3, 3])), TypeError,
     r"^kernel_size must be an int, got ndarray"),
    ("Conv2d-kernel-size-huge", lambda: Conv2d(1, 1, 10**8), ValueError,
     r"^kernel_size must be an int from 1 to 10000000 \(nn.module.MAX_SIZE\), got 100000000$"),
    ("Conv2d-sizes-whose-product-is-huge", lambda: Conv2d(1000, 1000, 1000), ValueError,
     r"^Conv2d\(in_channels=1000, out_channels=1000, kernel_size=1000\) would have 1000000001000 parameters"),
    ("Conv2d-stride-zero", lambda: Conv2d(1, 1, 3, stride=0), ValueError, r"^stride must be an int >= 1, got 0$"),
    ("Conv2d-stride-a-float", lambda: Conv2d(1, 1, 3, stride=1.5), TypeError, r"^stride must be an int, got float"),
    ("Conv2d-padding-negative", lambda: Conv2d(1, 1, 3, padding=-1), ValueError,
     r"^padding must be an int from 0 to 10000000, got -1$"),
    ("Conv2d-bias-an-int", lambda: Conv2d(1, 1, 3, bias=1), TypeError, r"^bias must be a bool \(True or False\)"),
    ("Conv2d-activation-unknown", lambda: Conv2d(1, 1, 3, activation="gelu"), ValueError,
     r"^activation must be one of relu, tanh, sigmoid, leaky_relu, linear, got str 'gelu'$"),
    ("Conv2d-seed-negative", lambda: Conv2d(1, 1, 3, seed=-1), ValueError, r"^seed must be an int >= 0, got -1$"),
    ("Conv2d-kernel-larger-than-input", lambda: _conv(np.zeros((2, 2, 4))), ValueError,
     r"^Conv2d kernel_size 3 is larger than the input 2x4; use a smaller kernel_size or a larger image$"),
    ("Conv2d-kernel-larger-than-padded-input", lambda: Conv2d(1, 1, 5, padding=1)(np.zeros((1, 2, 2))), ValueError,
     r"^Conv2d kernel_size 5 is larger than the input 2x2 with padding 1"),
    ("Conv2d-called-with-none", lambda: _conv(None), TypeError,
     r"^Conv2d input must be a channels x height x width nested list of numbers or Values \(or a 3-D array\), "
     r"got NoneType None$"),
    ("Conv2d-called-with-a-str", lambda: _conv("image"), TypeError, r"^Conv2d input must be a channels x height"),
    ("Conv2d-called-with-a-number", lambda: _conv(3.0), TypeError, r"^Conv2d input must be .*got float 3.0$"),
    ("Conv2d-called-with-a-2d-image", lambda: _conv([[1.0, 2.0, 3.0]] * 2), TypeError,
     r"^Conv2d input\[0\]\[0\] must be a row of numbers or Values .*got float 1.0$"),
    ("Conv2d-called-with-a-flat-vector", lambda: _conv(np.zeros(2)), ValueError,
     r"^Conv2d input must be one image, .*got an array of shape \(2,\); Unflatten\(\[channels, height, width\]\) "
     r"makes an image of a flat row$"),
    ("Conv2d-called-with-a-flat-list", lambda: _conv([0.0, 1.0]), TypeError,
     r"^Conv2d input\[0\] must be a list of rows .*got float 0.0$"),
    ("Conv2d-called-with-wrong-channels", lambda: _conv(np.zeros((3, 4, 4))), ValueError,
     r"^Conv2d expects 2 channels, got 3$"),
    ("Conv2d-called-with-a-ragged-image", lambda: _conv([[[0.0] * 4] * 4, [[0.0] * 4] * 3]), ValueError,
     r"^Conv2d input must be rectangular: input\[1\] has 3 rows, input\[0\] has 4$"),
    ("Conv2d-called-with-a-ragged-row", lambda: _conv([[[0.0] * 4] * 4, [[0.0] * 4] * 3 + [[0.0] * 5]]),
     ValueError, r"^Conv2d input must be rectangular: input\[1\]\[3\] has 5 values, input\[0\]\[0\] has 4$"),
    ("Conv2d-called-with-an-empty-row", lambda: _conv([[[]], [[]]]), ValueError,
     r"^Conv2d input\[0\]\[0\] must have at least one value, got none$"),
    ("Conv2d-called-with-none-inside", lambda: _conv([[[0.0, None, 0.0]] * 3] * 2), TypeError,
     r"^Conv2d input\[0\]\[0\]\[1\] must be a Value or a real number, got NoneType None$"),
    ("Conv2d-padding-as-large-as-the-kernel", lambda: Conv2d(1, 1, 3, padding=3), ValueError,
     r"^padding must be an int from 0 to kernel_size - 1 = 2 \(a wider border only adds outputs that see "
     r"nothing but zeros\), got 3$"),
    ("Conv2d-padding-huge", lambda: Conv2d(1, 1, 3, padding=10**6), ValueError,
     r"^padding must be an int from 0 to kernel_size - 1 = 2 .*got 1000000$"),
    ("Conv2d-called-with-a-batch-array", lambda: _conv(np.zeros((4, 2, 5, 5))), ValueError,
     r"^Conv2d input must be one image, channels x height x width \(a 3-D array\), got an array of shape "
     r"\(4, 2, 5, 5\); call the model on one image at a time$"),
    ("Conv2d-called-with-a-2d-array", lambda: Conv2d(1, 1, 2, seed=0)(np.zeros((5, 5))), ValueError,
     r"^Conv2d input must be one image, channels x height x width \(a 3-D array\), got an array of shape "
     r"\(5, 5\); one channel is an array of shape \(1, height, width\)$"),
    ("MaxPool2d-called-with-a-batch-array", lambda: MaxPool2d(2)(np.zeros((3, 1, 4, 4))), ValueError,
     r"^MaxPool2d input must be one image, channels x height x width \(a 3-D array\), got an array of shape "
     r"\(3, 1, 4, 4\)"),
    ("Flatten-called-with-a-list-that-holds-itself", lambda: Flatten()((lambda a: a.append(a) or a)([1.0])),
     ValueError, r"^Flatten input is nested more than 100 levels deep \(a list that holds itself\?\), at "
     r"input\[1\]\[1\]"),
    ("MaxPool2d-kernel-size-zero", lambda: MaxPool2d(0), ValueError, r"^kernel_size must be an int >= 1, got 0$"),
    ("MaxPool2d-stride-zero", lambda: MaxPool2d(2, stride=0), ValueError, r"^stride must be an int >= 1, got 0$"),
    ("MaxPool2d-stride-a-str", lambda: MaxPool2d(2, stride="2"), TypeError, r"^stride must be an int, got str '2'$"),
    ("MaxPool2d-kernel-size-huge", lambda: MaxPool2d(10**100), ValueError,
     r"^kernel_size must be an int from 1 to 10000000 .*got an int of 101 digits$"),
    ("MaxPool2d-window-larger-than-input", lambda: MaxPool2d(3)(np.zeros((1, 2, 5))), ValueError,
     r"^MaxPool2d kernel_size 3 is larger than the input 2x5; use a smaller kernel_size or a larger image$"),
    ("MaxPool2d-called-with-a-bool", lambda: MaxPool2d(2)(True), TypeError,
     r"^MaxPool2d input must be a channels x height x width .*got bool True$"),
    ("MaxPool2d-called-with-an-empty-list", lambda: MaxPool2d(2)([]), ValueError,
     r"^MaxPool2d input must have at least one channel, got an empty list$"),
    ("Flatten-called-with-none", lambda: Flatten()(None), TypeError,
     r"^Flatten input must be a nested list of numbers or Values \(or an array\), got NoneType None$"),
    ("Flatten-called-with-a-str-inside", lambda: Flatten()([[1.0], ["a"]]), TypeError,
     r"^Flatten input\[1\]\[0\] must be a Value, a real number or a list of them, got str 'a'$"),
    ("Flatten-called-with-a-bool-inside", lambda: Flatten()([1.0, True]), TypeError,
     r"^Flatten input\[1\] must be a Value, a real number or a list of them, got bool True$"),
    ("Flatten-called-with-nothing-inside", lambda: Flatten()([[], []]), ValueError,
     r"^Flatten input must hold at least one value, got list"),
    ("Flatten-called-with-a-huge-int", lambda: Flatten()([10**400]), ValueError,
     r"^Flatten input\[0\] .*10000"),
    ("Unflatten-shape-none", lambda: Unflatten(None), TypeError, r"^shape must be a list of sizes, got NoneType None$"),
    ("Unflatten-shape-an-int", lambda: Unflatten(64), TypeError, r"^shape must be a list of sizes, got int 64$"),
    ("Unflatten-shape-empty", lambda: Unflatten([]), ValueError, r"^shape must be a non-empty list of sizes, got"),
    ("Unflatten-shape-zero", lambda: Unflatten([1, 0]), ValueError, r"^shape\[1\] must be an int >= 1, got 0$"),
    ("Unflatten-shape-a-float", lambda: Unflatten([8.0, 8]), TypeError, r"^shape\[0\] must be an int, got float 8.0$"),
    ("Unflatten-shape-huge", lambda: Unflatten([10**4, 10**4]), ValueError,
     r"^shape must hold at most 10000000 values \(nn.module.MAX_SIZE\), got \[10000, 10000\] \(100000000\)$"),
    ("Unflatten-called-with-the-wrong-size", lambda: Unflatten([2, 3])([1.0] * 5), ValueError,
     r"^Unflatten expects vectors of 6 values, got 5$"),
    ("Unflatten-called-with-none", lambda: Unflatten([2, 3])(None), TypeError,
     r"^Unflatten input must be a vector of 6 numbers or Values"),
]
