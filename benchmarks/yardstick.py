"""The smallest fast scalar autodiff engine: the yardstick every figure is compared with.

``__slots__``, a tuple of children, local derivatives stored at forward time, no
closures, iterative topological sort. No validation, no modes, no IEEE care.
"""

import math


class Value:
    __slots__ = ("data", "grad", "_prev", "_local")

    def __init__(self, data, _prev=(), _local=()):
        self.data, self.grad, self._prev, self._local = data, 0.0, _prev, _local

    def __add__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    def __pow__(self, k):
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),))

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, (self,), (1.0 if self.data > 0 else 0.0,))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    __radd__, __rmul__ = __add__, __mul__
    def __neg__(self): return self * -1.0
    def __sub__(self, o): return self + (-o)
    def __rsub__(self, o): return o + (-self)
    def __truediv__(self, o): return self * o**-1
    def __rtruediv__(self, o): return o * self**-1

    def backward(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))
                stack.extend((c, False) for c in v._prev)
        self.grad = 1.0
        for v in reversed(topo):
            for c, d in zip(v._prev, v._local):
                c.grad += d * v.grad
