"""The only data that crosses the sandbox's wall: plain values, arrays, SymPy trees.

The sandboxed notebook hands the grader what its functions returned, and
nothing else. :class:`Encoder` (in the sandbox) turns a value into a JSON
tree, writing arrays to ``.npy`` files beside it; :class:`Decoder` (in the
trusted grader) turns the tree back into a value. The decoder never unpickles
and never calls anything the tree names, except SymPy's own classes. It builds
only

* ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``list``,
  ``tuple``, ``dict``, ``set``;
* NumPy arrays and scalars of a numeric dtype, read with
  ``np.load(allow_pickle=False)``, so an array is a plain ``ndarray`` whatever
  class the notebook returned;
* SymPy expressions made of classes defined in ``sympy`` itself;
* for anything else, an :class:`Opaque` stand-in named after the original's
  class, equal to nothing but itself (an "always equal" object becomes one).

The trusted side also uses the encoder for the tests' inputs; those may hold
functions (``numerical_gradient(f, theta)``), which travel as ``dill`` files.
Only :class:`Decoder` with ``callables=True``, used in the sandbox, reads them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
from typing import Any

import numpy as np

# Bounds on what a notebook may hand back (per test): beyond them a value is
# refused, so a hostile answer cannot exhaust the grader's memory or time.
MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_STR = 10_000
MAX_INT_DIGITS = 4_000
MAX_ARRAY_BYTES = 64 * 2**20
NUMERIC_KINDS = "biufc"  # bool, signed and unsigned int, float, complex
FILE_NAME = re.compile(r"[0-9]{1,7}\.(npy|dill)\Z")


class WireError(ValueError):
    """The data is not something the grader reads: malformed, too big, or unsafe."""


class Opaque:
    """Stands for an object the grader does not rebuild; equal only to itself."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return f"<{self.type_name} object: {self.text}>"


def opaque_class(type_name: str) -> type:
    """A subclass of :class:`Opaque` whose name is the original class's, so a
    test's ``type(out).__name__`` names what the notebook returned."""
    name = re.sub(r"\W", "_", type_name.rsplit(".", 1)[-1])[:60] or "object"
    if not name.isidentifier():
        name = "_" + name
    return type(name, (Opaque,), {})


def _sympy():
    import sympy

    return sympy


def _sympy_base(cls: type) -> str:
    for base in cls.__mro__:
        if _is_sympy_class(base):
            return base.__name__
    return "Basic"


def _is_sympy_class(cls: type) -> bool:
    """Whether ``cls`` is SymPy's own (defined in a ``sympy`` module, reachable by
    its name there), not a subclass a notebook made."""
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith("sympy."):
        return False
    import importlib

    try:
        return getattr(importlib.import_module(module), cls.__name__, None) is cls
    except ImportError:
        return False


class Encoder:
    """Value -> JSON tree; arrays and functions go to numbered files in ``folder``.

    ``notes`` collects what a reviewer should know (an ndarray subclass was
    returned, an object of an unknown class was replaced by a stand-in).
    """

    def __init__(
        self, folder: str, *, callables: bool = False, start: int = 0, writer=None
    ):
        self.folder, self.callables = folder, callables
        self.count, self.nodes = start, 0
        self.notes: list[str] = []
        # A context manager around each file write (the sandbox's audit hook
        # does not report the runner's own writes).
        self.writer = writer or contextlib.nullcontext

    def _file(self, suffix: str) -> tuple[str, str]:
        self.count += 1
        name = f"{self.count}.{suffix}"
        return name, os.path.join(self.folder, name)

    def encode(self, value: Any, depth: int = 0) -> dict:
        if depth == 0:
            self.nodes = 0
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise WireError("the value is too large or too deeply nested to grade")
        t = type(value)
        if value is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": value}
        if t is int:
            text = str(value)
            if len(text) > MAX_INT_DIGITS:
                raise WireError("an integer with more than 4000 digits")
            return {"t": "int", "v": text}
        if t is float:
            return {"t": "float", "v": value.hex()}
        if t is complex:
            return {"t": "complex", "re": value.real.hex(), "im": value.imag.hex()}
        if t is str:
            return {"t": "str", "v": value[:MAX_STR]}
        if t in (list, tuple, set, frozenset):
            items = list(value)
            return {"t": t.__name__, "v": [self.encode(v, depth + 1) for v in items]}
        if t is dict:
            return {
                "t": "dict",
                "v": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)]
                    for k, v in list(value.items())
                ],
            }
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            return self._array(value)
        if self.callables and callable(value) and not isinstance(value, type):
            import dill

            name, path = self._file("dill")
            with self.writer(), open(path, "wb") as f:
                dill.dump(value, f, recurse=True)
            return {"t": "callable", "f": name}
        if "sympy" in __import__("sys").modules:
            sp = _sympy()
            if isinstance(value, sp.Basic) and _is_sympy_class(t):
                return {"t": "sympy", "v": self._sympy(value, depth + 1)}
        return self._opaque(value)

    def _opaque(self, value: Any) -> dict:
        t = type(value)
        type_name = f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', '?')}"
        try:
            text = repr(value)[:200]
        except Exception:  # noqa: BLE001 - a hostile __repr__ must not stop grading
            text = "(its repr raised)"
        if "sympy" in __import__("sys").modules and isinstance(value, _sympy().Basic):
            # A class of one's own posing as a SymPy expression (one that
            # equals everything, say): worth a look.
            self.notes.append(
                f"an object of class {t.__qualname__} (a subclass of SymPy's "
                f"{_sympy_base(t)}) was replaced by a stand-in"
            )
        return {"t": "opaque", "type": type_name[:200], "repr": text}

    def _array(self, value) -> dict:
        scalar = isinstance(value, np.generic)
        if not scalar and type(value) is not np.ndarray:
            self.notes.append(
                f"an ndarray subclass ({type(value).__qualname__}) was graded "
                "as a plain array"
            )
        # A plain copy: whatever class or memory layout the notebook returned.
        array = np.array(value, subok=False, copy=True)
        if array.dtype.kind not in NUMERIC_KINDS:
            return {"t": "opaque", "type": f"array_of_{array.dtype.name}", "repr": ""}
        if array.nbytes > MAX_ARRAY_BYTES:
            raise WireError(f"an array of {array.nbytes} bytes (at most 64 MiB)")
        name, path = self._file("npy")
        with self.writer(), open(path, "wb") as f:
            np.save(f, array, allow_pickle=False)
        return {"t": "scalar" if scalar else "array", "f": name}

    def _sympy(self, node, depth: int) -> dict:
        """A SymPy expression as a tree of class names and leaf values."""
        sp = _sympy()
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > 4 * MAX_DEPTH:
            raise WireError("the expression is too large to grade")
        cls = type(node)
        if not isinstance(node, sp.Basic) or not _is_sympy_class(cls):
            raise WireError(f"a part of the expression is a {cls.__qualname__}")
        singleton = getattr(sp.S, cls.__name__, None)
        if singleton is node:
            return {"s": cls.__name__}
        if cls in (sp.Symbol, sp.Dummy):
            assumptions = {k: v for k, v in node.assumptions0.items() if v is not None}
            return {"c": cls.__name__, "name": node.name, "a": assumptions}
        if cls is sp.Integer:
            return {"c": "Integer", "v": str(int(node))}
        if cls is sp.Rational:
            return {"c": "Rational", "p": str(node.p), "q": str(node.q)}
        if cls is sp.Float:
            sign, man, exp, bc = node._mpf_
            return {"c": "Float", "mpf": [sign, str(man), exp, bc], "prec": node._prec}
        return {
            "m": cls.__module__,
            "n": cls.__name__,
            "a": [self._sympy(arg, depth + 1) for arg in node.args],
        }


def dump(tree: Any, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tree, f)


class Decoder:
    """JSON tree -> value, reading files only from ``folder`` and only safely.

    Every file is opened relative to the folder's descriptor without following
    links, must be a regular file with one link, and has bounded size.
    """

    def __init__(self, folder: str, *, callables: bool = False):
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        self.dirfd = os.open(folder, flags)
        self.callables = callables
        self.nodes = 0

    def close(self) -> None:
        os.close(self.dirfd)

    def read(self, name: str, limit: int = MAX_ARRAY_BYTES + 4096) -> bytes:
        """The bytes of ``folder/name``: a plain file, no link, at most ``limit``."""
        if not isinstance(name, str) or not FILE_NAME.match(name):
            raise WireError(f"bad file name {str(name)[:40]!r}")
        return read_plain_file(self.dirfd, name, limit)

    def load_json(self, name: str, limit: int = 32 * 2**20) -> Any:
        if not re.fullmatch(r"[\w.-]{1,100}\.json", name):
            raise WireError(f"bad file name {name!r}")
        data = read_plain_file(self.dirfd, name, limit)
        try:
            return json.loads(data)
        except ValueError as error:
            raise WireError(f"{name} is not JSON: {error}") from None

    def decode(self, tree: Any, depth: int = 0) -> Any:
        if depth == 0:
            self.nodes = 0
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise WireError("the value is too large or too deeply nested to grade")
        if not isinstance(tree, dict) or not isinstance(tree.get("t"), str):
            raise WireError("malformed value")
        t = tree["t"]
        if t == "none":
            return None
        if t == "bool":
            return _typed(tree.get("v"), bool)
        if t == "int":
            text = _typed(tree.get("v"), str)
            if len(text) > MAX_INT_DIGITS + 1 or not re.fullmatch(r"-?[0-9]+", text):
                raise WireError("malformed integer")
            return int(text)
        if t == "float":
            return _float(tree.get("v"))
        if t == "complex":
            return complex(_float(tree.get("re")), _float(tree.get("im")))
        if t == "str":
            return _typed(tree.get("v"), str)[:MAX_STR]
        if t in ("list", "tuple", "set", "frozenset"):
            items = [self.decode(v, depth + 1) for v in _typed(tree.get("v"), list)]
            try:
                return {
                    "list": list,
                    "tuple": tuple,
                    "set": set,
                    "frozenset": frozenset,
                }[t](items)
            except TypeError:  # an unhashable member of a set
                raise WireError("malformed set") from None
        if t == "dict":
            out = {}
            for pair in _typed(tree.get("v"), list):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("malformed dict")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise WireError("malformed dict key") from None
            return out
        if t in ("array", "scalar"):
            array = self._array(tree.get("f"))
            return array[()] if t == "scalar" else array
        if t == "sympy":
            return self._sympy(tree.get("v"), depth + 1)
        if t == "opaque":
            type_name = _typed(tree.get("type"), str)[:200]
            return opaque_class(type_name)(
                type_name, _typed(tree.get("repr"), str)[:200]
            )
        if t == "callable" and self.callables:
            import dill

            return dill.loads(self.read(tree.get("f")))
        raise WireError(f"unknown kind of value {t[:20]!r}")

    def _array(self, name) -> np.ndarray:
        data = self.read(name)
        buffer = io.BytesIO(data)
        try:
            fmt = np.lib.format
            major, _ = fmt.read_magic(buffer)
            read_header = (
                fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            )
            shape, _, dtype = read_header(buffer)
            if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
                raise WireError(f"an array of dtype {dtype} (numbers only)")
            if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize > MAX_ARRAY_BYTES:
                raise WireError("an array larger than 64 MiB")
            buffer.seek(0)
            array = np.load(buffer, allow_pickle=False)
        except WireError:
            raise
        except Exception as error:  # noqa: BLE001 - any malformed file is refused
            raise WireError(f"unreadable array: {error}") from None
        if type(array) is not np.ndarray or array.dtype.kind not in NUMERIC_KINDS:
            raise WireError("not a plain numeric array")
        return array

    def _sympy(self, tree, depth: int):
        sp = _sympy()
        self.nodes += 1
        if (
            self.nodes > MAX_NODES
            or depth > 4 * MAX_DEPTH
            or not isinstance(tree, dict)
        ):
            raise WireError("malformed or too large expression")
        if "s" in tree:
            name = _typed(tree["s"], str)
            value = (
                getattr(sp.S, name, None) if re.fullmatch(r"\w{1,40}", name) else None
            )
            if not isinstance(value, sp.Basic):
                raise WireError(f"unknown SymPy constant {name[:40]!r}")
            return value
        kind = tree.get("c")
        if kind in ("Symbol", "Dummy"):
            assumptions = _typed(tree.get("a"), dict)
            if not all(
                isinstance(k, str) and type(v) is bool for k, v in assumptions.items()
            ):
                raise WireError("malformed symbol")
            cls = sp.Symbol if kind == "Symbol" else sp.Dummy
            try:
                return cls(_typed(tree.get("name"), str)[:100], **assumptions)
            except Exception as error:  # noqa: BLE001 - e.g. inconsistent assumptions
                raise WireError(f"bad symbol: {error}") from None
        if kind == "Integer":
            return sp.Integer(self.decode({"t": "int", "v": tree.get("v")}, depth))
        if kind == "Rational":
            p = self.decode({"t": "int", "v": tree.get("p")}, depth)
            q = self.decode({"t": "int", "v": tree.get("q")}, depth)
            if q == 0:
                raise WireError("a rational with denominator 0")
            return sp.Rational(p, q)
        if kind == "Float":
            mpf, prec = _typed(tree.get("mpf"), list), tree.get("prec")
            if (
                len(mpf) != 4
                or type(prec) is not int
                or not 1 <= prec <= 10_000
                or mpf[0] not in (0, 1)
                or type(mpf[2]) is not int
                or type(mpf[3]) is not int
                or abs(mpf[2]) > 10**6
            ):
                raise WireError("malformed float")
            man = self.decode({"t": "int", "v": mpf[1]}, depth)
            return sp.Float._new((mpf[0], man, mpf[2], mpf[3]), prec)
        module, name = tree.get("m"), tree.get("n")
        if not (
            isinstance(module, str)
            and isinstance(name, str)
            and re.fullmatch(r"sympy(\.\w+){1,6}", module)
            and re.fullmatch(r"\w{1,60}", name)
        ):
            raise WireError("malformed expression")
        import importlib

        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            cls = None
        if not (isinstance(cls, type) and issubclass(cls, sp.Basic)):
            raise WireError(f"{module}.{name} is not a SymPy class")
        args = [self._sympy(a, depth + 1) for a in _typed(tree.get("a"), list)]
        try:
            return cls(*args)
        except Exception as error:  # noqa: BLE001 - a tree SymPy refuses to build
            raise WireError(f"cannot rebuild {name}: {error}") from None


def read_plain_file(dirfd: int, name: str, limit: int) -> bytes:
    """Read ``name`` in the directory ``dirfd`` refusing links and special files."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
    except OSError as error:
        raise WireError(f"cannot open {name}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            raise WireError(f"{name} is not a plain file")
        if info.st_size > limit:
            raise WireError(f"{name} is larger than {limit} bytes")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise WireError(f"{name} is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _typed(value, cls):
    if type(value) is not cls:
        raise WireError(f"malformed value: expected {cls.__name__}")
    return value


def _float(text) -> float:
    text = _typed(text, str)
    if len(text) > 40:
        raise WireError("malformed float")
    try:
        return float.fromhex(text)
    except ValueError:
        raise WireError("malformed float") from None
