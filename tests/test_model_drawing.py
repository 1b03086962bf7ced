"""Model-aware drawings: one box per layer, parameters named, inputs x0, x1, ..., readable at any size."""

import inspect
import math
import re
import shutil
import struct

import pytest

from autograd_engine import Value, draw_dot
from autograd_engine.viz import format_number
from nn import MLP, Activation, LayerNorm, Linear, Sequential
from nn.draw import draw_model

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture
def trained():
    """micrograd's MLP(2, [16, 16, 1]) after one backward, so the gradients are not all zero."""
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([1.0, -2.0])
    out.backward()
    return model, out


def svg_size_px(svg: str) -> tuple[float, float]:
    width, height = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width) * 96 / 72, float(height) * 96 / 72  # points to pixels at 96 dpi


def png_size_px(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def grad_norm(module) -> float:
    return math.sqrt(sum(p.grad ** 2 for p in module.parameters()))


@needs_dot
def test_the_default_drawing_of_micrograds_mlp_fits_in_2000_pixels(trained):
    model, out = trained
    drawing = model.draw(output=out)
    for size in (svg_size_px(drawing.pipe(format="svg").decode()), png_size_px(drawing.pipe(format="png"))):
        assert 0 < size[0] <= 2000 and 0 < size[1] <= 2000, size
    # the same graph drawn node by node is far larger: the boxes are what make it fit
    flat = draw_dot(out, max_nodes=2000)
    assert max(svg_size_px(flat.pipe(format="svg").decode())) > 4000


def test_each_layer_is_one_box_with_its_size_and_gradient_norm(trained):
    model, out = trained
    source = model.draw(output=out).source
    for i, (nin, nout, act, n) in enumerate([(2, 16, "relu", 48), (16, 16, "relu", 272), (16, 1, "linear", 17)]):
        norm = grad_norm(model.layers[i])
        assert norm > 0
        assert (f'label="layers.{i} | Layer({nin} -\\> {nout}, {act}) | {n} parameters | grad norm '
                f'{format_number(norm)}"') in source
    assert "layers.0 | " in source and source.count("Layer(") == 3
    assert re.search(r"b\d+ -> b\d+ \[fontcolor=\"#555555\" fontsize=9 headlabel=16", source)  # 16 values cross
    assert "neurons" not in source and "dot" not in source  # nothing inside a box is drawn


def test_inputs_are_x0_x1_in_blue_and_the_output_is_drawn_with_its_data_and_grad(trained):
    model, out = trained
    source = model.draw([0.5, -1.5]).source
    assert re.search(r'\{ x0 \| data 0\.5000 \| grad 0\.0000 \}" fillcolor="#e3edfb"', source)
    assert re.search(r'\{ x1 \| data -1\.5000 \| grad 0\.0000 \}" fillcolor="#e3edfb"', source)
    drawn = model.draw(output=out).source  # from an output: the unlabelled leaves the model met are the inputs
    assert f"{{ x0 | data 1.0000 | grad {format_number(_grad_x(model, 0))} }}" in drawn
    assert f"{{ out | data {format_number(out.data)} | grad 1.0000 }}" in drawn and "#d35400" in drawn


def _grad_x(model, i):
    """d out / d x_i of the fixture's output, recomputed independently with fresh leaves."""
    xs = [Value(1.0), Value(-2.0)]
    model(xs).backward()
    return xs[i].grad


def test_expanding_a_layer_opens_it_into_its_neurons_and_a_neuron_into_named_green_parameters(trained):
    model, out = trained
    source = model.draw(output=out, expand=("layers.1",)).source
    assert "layers.1 |" not in source
    for k in range(16):
        neuron = model.layers[1].neurons[k]
        assert (f"layers.1.neurons.{k} | ReLUNeuron(16) | 17 parameters | grad norm "
                f"{format_number(grad_norm(neuron))}") in source
    assert "layers.0 | " in source and "layers.2 | " in source
    opened = model.draw(output=out, expand=("layers.1", "layers.1.neurons.3")).source
    w = model.layers[1].neurons[3].w
    for j in range(16):
        assert re.search(rf'\{{ layers\.1\.neurons\.3\.w\.{j} \| data {re.escape(format_number(w[j].data))} \| grad '
                         rf'{re.escape(format_number(w[j].grad))} \}}" fillcolor="#e2f3e5"', opened)
    assert 'layers.1.neurons.3.b | data 0.0000' in opened
    assert 'label=dot' in opened and 'label=relu' in opened
    assert "layers.1.neurons.3 |" not in opened and "layers.1.neurons.4 |" in opened


def test_a_sequential_of_shipped_layers_has_a_box_per_child_parameter_free_ones_too():
    model = Sequential(Linear(3, 8), Activation("tanh"), LayerNorm(8), Linear(8, 2))
    source = model.draw([1.0, 2.0, 3.0]).source
    for name, what in [("0", "Linear(3 -\\> 8)"), ("1", "Activation(tanh)"), ("2", "LayerNorm(8)"),
                       ("3", "Linear(8 -\\> 2)")]:
        assert f'label="{name} | {what}' in source
    assert "tanh" not in re.sub(r'label="1 \| Activation\(tanh\)"', "", source).split("digraph")[1].split("]", 1)[1]
    assert "x0 |" in source and "x2 |" in source and "x3 |" not in source  # LayerNorm's constants stay inside
    assert "out0 |" in source and "out1 |" in source


def test_a_container_inside_is_one_box_named_by_its_type_and_opens_into_its_parts():
    from nn import Layer, Residual

    model = Sequential(Layer(2, 4, seed=0), Residual(Sequential(Linear(4, 4), Activation("relu"))), Linear(4, 1))
    source = model.draw([1.0, 2.0]).source
    assert 'label="Sequential, 37 parameters"' in source
    assert 'label="1 | Residual | 20 parameters' in source and "\\n" not in source
    opened = model.draw([1.0, 2.0], expand=("1",)).source
    assert 'label="1.module | Sequential | 20 parameters' in opened and 'label="1 |' not in opened


def test_draw_dot_with_a_model_is_the_models_drawing(trained):
    model, out = trained
    if "model" not in inspect.signature(draw_dot).parameters:
        pytest.skip("this draw_dot does not take model= yet")
    assert draw_dot(out, model=model).source == model.draw(output=out).source


def test_highlight_marks_the_box_that_holds_the_node_and_top_to_bottom_stacks_fields(trained):
    model, out = trained
    inner = model.layers[1].neurons[0].w[0]
    source = model.draw(output=out, highlight=inner, rankdir="TB", show_grad=False).source
    assert re.search(r'label="\{ layers\.1 \| Layer\(16 -\\> 16, relu\) \| 272 parameters \}" color="#c0392b"', source)
    assert "grad" not in source


def _mlp():
    return MLP(2, [3, 1], seed=0)


def test_expanding_a_neuron_opens_the_layer_that_holds_it(trained):
    model, out = trained
    source = model.draw(output=out, expand=("layers.1.neurons.3",)).source
    assert source == model.draw(output=out, expand=("layers.1", "layers.1.neurons.3")).source
    assert "layers.1.neurons.3.w.0 | data" in source and "layers.1.neurons.4 |" in source


def test_an_output_the_model_did_not_compute_is_refused():
    with pytest.raises(ValueError, match=r"^output does not depend on any parameter of the model \(MLP\(2 -> 3 -> 1"):
        _mlp().draw(output=Value(1.0) * 2)


def test_one_value_given_as_two_inputs_is_named_by_both_places_and_not_relabelled():
    v = Value(1.0)
    source = _mlp().draw([v, v]).source
    assert re.search(r'\{ x0, x1 \| data 1\.0000 \| grad 0\.0000 \}" fillcolor="#e3edfb"', source)
    assert v.label == ""


def test_a_mistaken_expand_lists_each_part_once():
    model = Sequential(Linear(2, 3, seed=0), Activation("tanh"), Linear(3, 1, seed=1))
    with pytest.raises(ValueError, match=r"^expand names '3', which is not a part of the model; its parts: 0, 2, 1$"):
        model.draw([1.0, 2.0], expand=("3",))


ERROR_CASES = [
    ("module-draw-x-and-output", lambda: _mlp().draw([1.0, 2.0], output=Value(1.0)), ValueError,
     r"^give x \(the drawing runs model\(x\)\) or output \(a Value the model computed\), not both$"),
    ("module-draw-neither", lambda: _mlp().draw(), ValueError, r"^give x .*, not neither$"),
    ("module-draw-x-a-str", lambda: _mlp().draw("12"), TypeError,
     r"^x must be a number, a Value or a vector of them \(a list, tuple or 1-D array\), got str '12'$"),
    ("module-draw-x-item-none", lambda: _mlp().draw([1.0, None]), TypeError,
     r"^x\[1\] must be a number or a Value, got NoneType None$"),
    ("module-draw-x-wrong-size", lambda: _mlp().draw([1.0, 2.0, 3.0]), ValueError, r"^MLP expects 2 inputs, got 3$"),
    ("module-draw-output-a-float", lambda: _mlp().draw(output=1.0), TypeError,
     r"^output must be a Value, got float 1.0$"),
    ("module-draw-output-empty", lambda: _mlp().draw(output=[]), ValueError,
     r"^output must be a Value or a non-empty list of Values, got an empty list$"),
    ("module-draw-output-item-a-str", lambda: _mlp().draw(output=[Value(1.0), "y"]), TypeError,
     r"^output\[1\] must be a Value, got str 'y'$"),
    ("module-draw-expand-unknown", lambda: _mlp().draw([1.0, 2.0], expand=("layers.7",)), ValueError,
     r"^expand names 'layers.7', which is not a part of the model; its parts: layers.0, layers.0.neurons.0"),
    ("module-draw-expand-a-parameter", lambda: _mlp().draw([1.0, 2.0], expand=("layers.0.neurons.1.w.1",)),
     ValueError, r"^expand names 'layers.0.neurons.1.w.1', a parameter, not a part: it is drawn by name when its "
                 r"part is open, as with expand=\('layers.0.neurons.1',\)$"),
    ("module-draw-expand-a-typo", lambda: _mlp().draw([1.0, 2.0], expand=("layer.1",)), ValueError,
     r"^expand names 'layer.1', which is not a part of the model; its parts: layers.0, "),
    ("module-draw-output-not-from-the-model", lambda: _mlp().draw(output=Value(2.0) ** 2), ValueError,
     r"^output does not depend on any parameter of the model \(MLP"),
    ("module-draw-expand-an-int", lambda: _mlp().draw([1.0, 2.0], expand=1), TypeError,
     r"^expand must be a tuple of part names such as \('layers.1',\), got int 1$"),
    ("module-draw-expand-item-none", lambda: _mlp().draw([1.0, 2.0], expand=(None,)), TypeError,
     r"^expand must hold part names \(str\), got NoneType None$"),
    ("module-draw-unknown-option", lambda: _mlp().draw([1.0, 2.0], max_nodes=3), TypeError,
     r"^MLP.draw\(\) got an unexpected option 'max_nodes'; it takes x, output, expand and rankdir, show_grad, "
     r"highlight, format$"),
    ("module-draw-rankdir", lambda: _mlp().draw([1.0, 2.0], rankdir="up"), ValueError, r"^rankdir must be one of"),
    ("module-draw-show_grad-an-int", lambda: _mlp().draw([1.0, 2.0], show_grad=1), TypeError,
     r"^show_grad must be a bool"),
    ("module-draw-format", lambda: _mlp().draw([1.0, 2.0], format="gif"), ValueError, r"^format must be one of"),
    ("module-draw-highlight-a-str", lambda: _mlp().draw([1.0, 2.0], highlight="w"), TypeError,
     r"^highlight must be a Value, an error with a \.node \(AnomalyError, GradcheckError\) or a list of them, "
     r"got str 'w'$"),
    ("draw_model-model-none", lambda: draw_model(None, [1.0]), TypeError, r"^model must be an nn.Module, got NoneType"),
]
