// The step-through's behaviour: apply each step's changes to the one drawn SVG, step with keys and buttons,
// pan and zoom. Data: the JSON in #ae-data (see autograd_engine/viz/html.py). Texts are set with textContent,
// never parsed as HTML.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("ae-data").textContent);
  var graph = document.getElementById("ae-graph");
  var line = document.getElementById("ae-line");
  var count = document.getElementById("ae-count");
  var log = document.getElementById("ae-log");
  var nodes = {}, edges = {}, svg = null, box = null, k = 0;
  var last = D.steps.length - 1;

  function setup() {
    svg = graph.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    box = svg.getAttribute("viewBox").split(/[ ,]+/).map(Number);
    Object.keys(D.init).forEach(function (id) {
      var g = document.getElementById(id);
      if (!g) { return; }
      var texts = g.querySelectorAll("text");
      var shape = g.querySelector("polygon, path, ellipse");
      nodes[id] = {text: texts[texts.length - 1], shape: shape, fill: shape.getAttribute("fill")};
    });
    D.edges.forEach(function (id) {
      var texts = document.getElementById(id) ? document.getElementById(id).querySelectorAll("text") : [];
      if (texts.length > 1) { edges[id] = texts[1]; }
    });
    panZoom();
  }

  function setNode(id, grad, partial) {
    var n = nodes[id];
    if (!n) { return; }
    n.text.textContent = "grad " + grad;
    if (partial) { n.shape.setAttribute("stroke-dasharray", "5,3"); } else { n.shape.removeAttribute("stroke-dasharray"); }
  }

  function go(step) {
    k = Math.max(0, Math.min(last, step));
    Object.keys(D.init).forEach(function (id) { setNode(id, D.init[id][0], D.init[id][1]); });
    Object.keys(edges).forEach(function (id) { edges[id].textContent = ""; });
    Object.keys(nodes).forEach(function (id) { nodes[id].shape.setAttribute("fill", nodes[id].fill); });
    log.textContent = "";
    for (var i = 1; i <= k; i++) {
      D.steps[i].g.forEach(function (c) { setNode(c[0], c[1], c[2]); });
      D.steps[i].e.forEach(function (c) { if (edges[c[0]]) { edges[c[0]].textContent = c[1]; } });
      var item = document.createElement("li");
      item.textContent = D.steps[i].t;
      log.insertBefore(item, log.firstChild);
    }
    var current = D.steps[k].n;
    if (current && nodes[current]) { nodes[current].shape.setAttribute("fill", "#fff1b8"); }
    line.textContent = D.steps[k].t;
    count.textContent = "step " + k + " of " + last;
    document.body.setAttribute("data-step", String(k));
  }

  function panZoom() {
    var view = box.slice();
    function apply() { svg.setAttribute("viewBox", view.join(" ")); }
    function zoom(factor, cx, cy) {
      var r = svg.getBoundingClientRect();
      var fx = r.width ? (cx - r.left) / r.width : 0.5, fy = r.height ? (cy - r.top) / r.height : 0.5;
      var w = view[2] * factor, h = view[3] * factor;
      view = [view[0] + (view[2] - w) * fx, view[1] + (view[3] - h) * fy, w, h];
      apply();
    }
    graph.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, ev.clientX, ev.clientY);
    }, {passive: false});
    var drag = null;
    graph.addEventListener("mousedown", function (ev) { drag = [ev.clientX, ev.clientY]; graph.style.cursor = "grabbing"; });
    window.addEventListener("mouseup", function () { drag = null; graph.style.cursor = "grab"; });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) { return; }
      var r = svg.getBoundingClientRect(), s = Math.max(view[2] / r.width, view[3] / r.height);
      view[0] -= (ev.clientX - drag[0]) * s;
      view[1] -= (ev.clientY - drag[1]) * s;
      drag = [ev.clientX, ev.clientY];
      apply();
    });
    function centre(factor) { var r = svg.getBoundingClientRect(); zoom(factor, r.left + r.width / 2, r.top + r.height / 2); }
    document.getElementById("ae-zoom-in").onclick = function () { centre(1 / 1.25); };
    document.getElementById("ae-zoom-out").onclick = function () { centre(1.25); };
    document.getElementById("ae-fit").onclick = function () { view = box.slice(); apply(); };
  }

  function start() {
    setup();
    document.getElementById("ae-prev").onclick = function () { go(k - 1); };
    document.getElementById("ae-next").onclick = function () { go(k + 1); };
    document.getElementById("ae-first").onclick = function () { go(0); };
    document.getElementById("ae-last").onclick = function () { go(last); };
    document.addEventListener("keydown", function (ev) {
      var to = {ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: last}[ev.key];
      if (to !== undefined) { ev.preventDefault(); go(to); }
    });
    go(0);
  }

  if (D.dot === null) {
    start();
  } else {
    line.textContent = "laying the graph out in the browser (Graphviz in WebAssembly) ...";
    aeGraphviz.Graphviz.load().then(function (gv) {
      var text = gv.dot(D.dot);
      graph.innerHTML = text.slice(text.indexOf("<svg"));
      start();
    }).catch(function (err) {
      line.textContent = "could not lay the graph out: " + err;
    });
  }
})();
