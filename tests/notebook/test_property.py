"""Property: on any notebook of a small grammar, extraction keeps what the notebook does.

Hypothesis builds notebooks cell by cell from a grammar (imports, constants, functions, classes,
state, functions that read state, redefinitions with other bodies, magics, markdown) while a
model records what each definition reads. Every example is extracted into a fresh folder
outside any project, then checked:

1. the module compiles and imports in a fresh interpreter, printing nothing;
2. the rewritten notebook prints exactly what the original printed;
3. every name the remaining cells read is still bound;
4. no code is lost, and no magic or shell line reaches the module;
5. a second run changes nothing;
6. definitions that read notebook state (or are kept) stay in the notebook; the others move
   (not predicted for a name defined with several bodies, nor for what reads one).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, given, note, settings
from hypothesis import strategies as st

from dsprod._output import Output
from dsprod.notebook._statements import KEEP_TAG
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import (
    CellSpec,
    code,
    md,
    read_cells,
    snapshot,
    unbound_reads,
    write_notebook,
)

IMPORT_LINES: dict[str, set[str]] = {
    "import math": {"math"},
    "import json as js": {"js"},
    "from statistics import mean, median": {"mean", "median"},
    "from collections import Counter": {"Counter"},
}
MAGIC_LINES = ("%matplotlib inline", "!echo hi")
DOCSTRING_LINES = frozenset({"    !important"})  # text inside strings, never masked
LITERALS = st.sampled_from(["2", "3", "10", "0.5", "1.25"])
DECORATOR = "@functools.lru_cache(maxsize=None)"

# Runs a notebook's code cells in order in one namespace, the way a kernel would, minus the
# IPython syntax: lines starting with % or ! (a %%time header included) are dropped, except
# that `%timeit -n1 -r1 EXPR` runs EXPR once, so the names it reads must be bound.
RUNNER = """
import json, sys
cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
namespace = {"__name__": "__main__"}
for number, cell in enumerate(cells):
    if cell["cell_type"] == "code":
        lines = "".join(cell["source"]).split("\\n")
        kept = [l.replace("%timeit -n1 -r1 ", "", 1) for l in lines
                if l.startswith("%timeit") or not l.lstrip().startswith(("%", "!"))]
        exec(compile("\\n".join(kept), f"<cell {number}>", "exec"), namespace)
"""


@dataclass
class Model:
    """What the notebook generated so far binds, and what each definition reads."""

    imported: set[str] = field(default_factory=set)
    constants: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)  # f(x, y=...) -> number
    readers: list[str] = field(default_factory=list)  # g() -> number, reads state
    classes: list[str] = field(default_factory=list)  # K(v).value() -> number
    data: list[str] = field(default_factory=list)  # lists computed at run time
    lambdas: list[str] = field(default_factory=list)  # constants bound to a lambda v: ...
    reads: dict[str, set[str]] = field(default_factory=dict)  # constants and definitions
    sources: dict[str, list[str]] = field(default_factory=dict)  # definition -> its lines
    state: set[str] = field(default_factory=set)  # names that are notebook state
    bad: set[str] = field(default_factory=set)  # definitions refused for their own sake
    kept: set[str] = field(default_factory=set)  # `# dsprod: keep` or a tagged cell
    evolving: set[str] = field(default_factory=set)  # defined again with another body
    count: int = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def tainted(self, roots: set[str], barrier: set[str] | None = None) -> set[str]:
        """`roots` and whatever reads one of them, directly or not; names in `barrier` are
        neither added nor passed through."""
        tainted = set(roots)
        changed = True
        while changed:
            changed = False
            for name, reads in self.reads.items():
                if name in tainted or name in (barrier or set()):
                    continue
                if (reads - {name}) & tainted:
                    tainted.add(name)
                    changed = True
        return tainted


@dataclass
class Generated:
    cells: list[CellSpec]
    stay: set[str]  # definitions that must stay in the notebook
    move: set[str]  # definitions that must move to the module
    # With parametrization: those that must stay whatever the state (IPython syntax inside,
    # kept, different bodies, or reading one of these).
    stuck: set[str]


# --- the grammar -------------------------------------------------------------------------
# Not generated; each has its own regression test at the end: two statements on one line
# (`a; b`), docstring lines starting with `!`, and functions reading `__name__`.


def _coin(draw: st.DrawFn) -> bool:
    return draw(st.booleans())


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in `n` draws; shrinks to False (hypothesis favours the bounds)."""
    return draw(st.integers(0, n - 1)) == 1


def _term(
    draw: st.DrawFn, m: Model, local: list[str], reads: set[str], *, calls: bool = True
) -> str:
    """A numeric expression; `local` are the names (or literals) in scope."""
    x = draw(st.sampled_from(local))
    kinds = ["local", "literal", "builtin"]
    if m.constants:
        kinds.append("constant")
    if m.lambdas:
        kinds.append("lambda")
    for needed, kind in (
        ("math", "math"),
        ("js", "json"),
        ("mean", "stats"),
        ("Counter", "counter"),
    ):
        if needed in m.imported:
            kinds.append(kind)
    if calls:
        kinds += [
            k
            for k, pool in (("call", m.functions), ("reader", m.readers), ("class", m.classes))
            if pool
        ]
    kind = draw(st.sampled_from(kinds))
    if kind == "local":
        return x
    if kind == "literal":
        return draw(LITERALS)
    if kind == "builtin":
        return draw(
            st.sampled_from(
                [
                    f"abs({x})",
                    f"round({x}, 2)",
                    f"max({x}, 1)",
                    f"min({x}, 3)",
                    f"sum([{x}, 1])",
                    f"len(str({x}))",
                ]
            )
        )
    if kind == "constant":
        name = draw(st.sampled_from(m.constants))
        reads.add(name)
        return name
    if kind == "lambda":
        name = draw(st.sampled_from(m.lambdas))
        reads.add(name)
        return f"{name}({x})"
    if kind == "mean":
        reads.add("mean")
        return f"mean([{x}, 1])"
    if kind == "counter":
        reads.add("Counter")
        return f'Counter("aab")["a"] * {x}'
    if kind == "math":
        reads.add("math")
        return draw(st.sampled_from([f"math.sqrt(abs({x}))", f"math.floor({x})", "math.pi"]))
    if kind == "json":
        reads.add("js")
        return f"len(js.dumps([{x}]))"
    if kind == "stats":
        name = draw(st.sampled_from(["mean", "median"]))
        reads.add(name)
        return f"{name}([{x}, 1, 4])"
    if kind == "counter":
        reads.add("Counter")
        return f"Counter([{x}, {x}, 1])[{x}]"
    if kind == "call":
        name = draw(st.sampled_from(m.functions))
        reads.add(name)
        return draw(st.sampled_from([f"{name}({x})", f"{name}({x}, 2)"]))
    if kind == "reader":
        name = draw(st.sampled_from(m.readers))
        reads.add(name)
        return draw(
            st.sampled_from(
                [f"{name}()", f"sum([{name}() for _ in range(2)])", f"(lambda: {name}())()"]
            )
        )
    name = draw(st.sampled_from(m.classes))
    reads.add(name)
    return f"{name}({x}).value()"


def _expr(
    draw: st.DrawFn, m: Model, local: list[str], reads: set[str], *, calls: bool = True
) -> str:
    text = _term(draw, m, local, reads, calls=calls)
    if _coin(draw):
        op = draw(st.sampled_from(["+", "-"]))
        text = f"{text} {op} {_term(draw, m, local, reads, calls=calls)}"
    if _coin(draw):
        text = f"{text} * {draw(LITERALS)}"  # only literals multiply: values stay small
    return text


def _constant_value(draw: st.DrawFn, m: Model, reads: set[str]) -> str:
    """A constant expression: literals, earlier constants, pure calls on imports."""
    x = draw(LITERALS)
    if m.constants and _coin(draw):
        x = draw(st.sampled_from(m.constants))
        reads.add(x)
    kinds = ["literal", "arithmetic", "builtin"]
    for needed, kind in (
        ("math", "math"),
        ("js", "json"),
        ("mean", "mean"),
        ("Counter", "counter"),
    ):
        if needed in m.imported:
            kinds.append(kind)
    kind = draw(st.sampled_from(kinds))
    if kind == "literal":
        return x
    if kind == "arithmetic":
        return f"{x} {draw(st.sampled_from(['+', '-', '*']))} {draw(LITERALS)}"
    if kind == "builtin":
        return draw(st.sampled_from([f"abs(-{x})", f"round({x} / 3, 4)", f"max({x}, 2)"]))
    if kind == "mean":
        reads.add("mean")
        return f"mean([{x}, 1])"
    if kind == "counter":
        reads.add("Counter")
        return f'Counter("aab")["a"] * {x}'
    if kind == "math":
        reads.add("math")
        return draw(st.sampled_from([f"math.sqrt(2) * {x}", f"math.pi + {x}"]))
    reads.add("js")
    return f'js.loads("[1, 2]")[1] + {x}'


def _imports(draw: st.DrawFn, m: Model) -> list[list[str]]:
    lines = draw(
        st.lists(st.sampled_from(sorted(IMPORT_LINES)), min_size=1, max_size=2, unique=True)
    )
    for line in lines:
        m.imported |= IMPORT_LINES[line]
    return [[line] for line in lines]


def _constant(draw: st.DrawFn, m: Model) -> list[str]:
    reads: set[str] = set()
    if _one_in(draw, 5):
        # A lambda is a constant too; its body may read constants and imports.
        name = m.fresh("L")
        lines = [f"{name} = lambda v: {_expr(draw, m, ['v'], reads, calls=False)}"]
        m.lambdas.append(name)
        m.reads[name] = reads
        return lines
    name = m.fresh("C")
    value = _constant_value(draw, m, reads)
    lines = [f"# the constant {name}"] if _coin(draw) else []
    annotation = ": float" if _one_in(draw, 4) else ""
    if _one_in(draw, 5):
        lines += [f"{name}{annotation} = (", f"    {value}", ")"]
    else:
        lines.append(f"{name}{annotation} = {value}")
    m.constants.append(name)
    m.reads[name] = reads
    return lines


def _function(draw: st.DrawFn, m: Model) -> list[list[str]]:
    """A function f(x, y=...), maybe decorated, documented, commented, kept or with a magic."""
    name = m.fresh("f")
    reads: set[str] = set()
    chunks: list[list[str]] = []
    lines: list[str] = []
    extra = draw(st.sampled_from(["", "", "", "", "", "", "", "comment", "comment", "keep"]))
    if extra == "comment":
        lines.append(f"# {name}: a helper (café)")
    elif extra == "keep":
        lines.append("# dsprod: keep")
        m.kept.add(name)
    if _one_in(draw, 4):
        if "functools" not in m.imported:
            chunks.append(["import functools"])
            m.imported.add("functools")
        reads.add("functools")
        lines.append(DECORATOR)
    default = draw(LITERALS)
    if m.constants and _coin(draw):
        default = draw(st.sampled_from(m.constants))
        reads.add(default)
    if m.classes and _one_in(draw, 6):
        # Annotations are evaluated where the def runs: they read module-level names.
        annotation = draw(st.sampled_from(m.classes))
        reads.add(annotation)
        lines.append(f"def {name}(x: float, y: float = {default}) -> {annotation} | float:")
    else:
        lines.append(f"def {name}(x, y={default}):")
    if _coin(draw):
        lines.append(f'    """Compute {name} from x and y — «vite»."""')
    if _one_in(draw, 12):
        lines.append("    !echo hi")  # IPython syntax inside: runs only in a notebook
        m.bad.add(name)
    local = ["x", "y"]
    body: set[str] = set()
    shadow = ""
    if (m.data or m.constants) and _one_in(draw, 4):
        # A local that has the name of a notebook variable reads nothing from the notebook.
        shadow = draw(st.sampled_from(m.data + m.constants))
        if _coin(draw):
            lines.append(f"    {shadow} = x + 1  # a local, not the notebook's")
            local.append(shadow)
        else:
            lines.append(f"    x = x + sum([{shadow} * 2 for {shadow} in range(3)])")
            shadow = ""  # the comprehension's variable is gone after it
    if _coin(draw):
        lines.append(f"    z = {_expr(draw, m, local, body)}  # an intermediate value")
        if _coin(draw):
            lines.append("")
        local.append("z")
    lines.append(f"    return {_expr(draw, m, local, body)}")
    if _one_in(draw, 8):
        lines = [f"\t{line[4:]}" if line.startswith("    ") else line for line in lines]
    m.functions.append(name)
    m.reads[name] = reads | (body - {shadow})
    m.sources[name] = lines
    return [*chunks, lines]


def _redefinition(draw: st.DrawFn, m: Model) -> list[str]:
    """Another body for an existing function (or the name assigned a lambda, which stays), or
    for a function that reads state: every version moves (or all stay), and each cell calls
    the version it called before. The body
    may call functions made before the first version (which may be evolving too), never a
    later one: a cycle of calls would never end."""
    name = draw(st.sampled_from(m.functions + m.readers))
    reads = m.reads[name]  # a name's reads are every version's
    if name in m.readers:
        data = draw(st.sampled_from(m.data))
        reads.add(data)
        lines = [f"def {name}(n=2):", f"    return len({data}) + n * {draw(LITERALS)}"]
    else:
        earlier = replace(m, functions=m.functions[: m.functions.index(name)], classes=[])
        body = _expr(draw, earlier, ["x", "y"], reads, calls=_coin(draw))
        lines = [f"def {name}(x, y=2):", f"    return {body}"]
        if _one_in(draw, 4):  # rebound by an assignment, which stays in the notebook
            lines = [f"{name} = lambda x, y=2: {body}"]
    if lines != m.sources[name]:
        m.evolving.add(name)
    return lines


def _class(draw: st.DrawFn, m: Model) -> list[str]:
    name = m.fresh("K")
    reads: set[str] = set()
    base = draw(st.sampled_from(m.classes)) if m.classes and _coin(draw) else ""
    lines = [f"class {name}({base}):" if base else f"class {name}:"]
    if base:
        reads.add(base)
    if _coin(draw):
        lines += [f'    """A {name}."""', ""]
    if not base or _coin(draw):
        scale = draw(LITERALS)
        if m.constants and _coin(draw):
            scale = draw(st.sampled_from(m.constants))
            reads.add(scale)
        lines += [
            f"    scale = {scale}",
            "",
            "    def __init__(self, v):",
            "        self.v = v",
            "",
        ]
    lines.append("    def value(self):")
    if _coin(draw):
        lines.append("        # scaled by the class")
    lines.append(f"        return {_expr(draw, m, ['self.v', 'self.scale'], reads)}")
    m.classes.append(name)
    m.reads[name] = reads
    m.sources[name] = lines
    return lines


def _data(draw: st.DrawFn, m: Model) -> list[str]:
    name = m.fresh("data")
    value = _expr(draw, m, ["i"], set())
    m.data.append(name)
    m.state.add(name)
    return [f"{name} = [{value} for i in range(3)]"]


def _reader(draw: st.DrawFn, m: Model) -> list[str]:
    """A function that reads notebook state: refused, or (parametrized) given it as a
    parameter. It reads it directly, through `global`, in a generator, a lambda or a nested
    function, or recursively."""
    name = m.fresh("g")
    data = draw(st.sampled_from(m.data))
    body = draw(st.sampled_from([f"{data}[0]", f"sum({data}) + 1", f"len({data}) * 2"]))
    kind = draw(st.sampled_from(["plain", "plain", "global", "generator", "lambda", "recursive"]))
    lines = [f"def {name}():", f"    return {body}"]
    if kind == "global":
        lines = [f"def {name}():", f"    global {data}", f"    return {body}"]
    elif kind == "generator":
        lines = [f"def {name}():", f"    return sum(v * 2 for v in {data})"]
    elif kind == "lambda":
        lines = [f"def {name}():", f"    inner = lambda: {body}", "    return inner()"]
    elif kind == "recursive":
        lines = [f"def {name}(n=2):", f"    return {body} if n == 0 else {name}(n - 1) + 1"]
    m.readers.append(name)
    m.reads[name] = {data}
    m.sources[name] = lines
    return lines


def _rebind_data(draw: st.DrawFn, m: Model) -> list[str]:
    """The notebook computes a variable again: later calls must see the new value."""
    data = draw(st.sampled_from(m.data))
    return [f"{data} = [v + 1 for v in {data}]"]


def _value_use(draw: st.DrawFn, m: Model) -> list[str]:
    """A function used as a value, not called: nothing could pass it a new argument."""
    name = draw(st.sampled_from(m.readers + m.functions))
    return [draw(st.sampled_from([f"print(callable({name}))", f"print(len([{name}]))"]))]


def _rebind(draw: st.DrawFn, m: Model) -> list[str]:
    """Assign a constant again: from now on it is state, and so is what reads it."""
    name = draw(st.sampled_from(m.constants))
    m.state.add(name)
    return [draw(st.sampled_from([f"{name} = {name} + 1", f"{name} += 1"]))]


def _print(draw: st.DrawFn, m: Model) -> list[str]:
    kinds = ["expr"] + (["constant"] if m.constants else []) + (["data"] if m.data else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "constant":
        return [f"print({draw(st.sampled_from(m.constants))})"]
    if kind == "data":
        data = draw(st.sampled_from(m.data))
        return [f"print(len({data}), round({data}[-1], 6))"]
    return [f"print(round({_expr(draw, m, ['2', '1.5'], set())}, 6))"]


def _chunks(draw: st.DrawFn, m: Model) -> list[list[str]]:
    """The statements of one code cell (each a list of lines), in order."""
    kinds = ["import", "constant", "function", "class", "data", "print"]
    if m.data:
        kinds += ["reader", "reader", "rebind_data"]
    if m.readers or m.functions:
        kinds.append("value")
    if m.constants:
        kinds.append("rebind")
    if m.sources:
        kinds.append("duplicate")
    if m.functions:
        kinds.append("redefine")
    kind = draw(st.sampled_from(kinds))
    if kind == "import":
        chunks = _imports(draw, m)
    elif kind == "constant":
        chunks = [_constant(draw, m)]
    elif kind == "function":
        chunks = _function(draw, m)
    elif kind == "class":
        chunks = [_class(draw, m)]
    elif kind == "data":
        chunks = [_data(draw, m)]
    elif kind == "reader":
        chunks = [_reader(draw, m)]
    elif kind == "rebind":
        chunks = [_rebind(draw, m)]
    elif kind == "rebind_data":
        chunks = [_rebind_data(draw, m)]
    elif kind == "value":
        chunks = [_value_use(draw, m)]
    elif kind == "duplicate":
        # The very same definition again (a re-run cell): identical, so still extracted.
        chunks = [list(m.sources[draw(st.sampled_from(sorted(m.sources)))])]
    elif kind == "redefine":
        chunks = [_redefinition(draw, m)]
    else:
        chunks = [_print(draw, m)]
    if _one_in(draw, 3):
        follow = draw(st.sampled_from(["print", "constant", "function"]))
        if follow == "print":
            chunks.append(_print(draw, m))
        elif follow == "constant":
            chunks.append(_constant(draw, m))
        else:
            chunks += _function(draw, m)
    return chunks


def _cell_source(draw: st.DrawFn, chunks: list[list[str]], timeit: str) -> str:
    """`timeit` is a %timeit line reading only names bound before the cell."""
    magics = [*MAGIC_LINES, timeit]
    lines: list[str] = []
    for number, chunk in enumerate(chunks):
        if _one_in(draw, 5):
            lines.append(draw(st.sampled_from(magics)))
        elif number and _coin(draw):
            lines.append("")
        lines += chunk
    if _one_in(draw, 6):
        lines.append(draw(st.sampled_from(magics)))
    has_def = any(line.startswith(("def ", "class ")) for line in lines)
    if has_def and _one_in(draw, 4):
        lines.insert(0, "%%time")
    return "\n".join(lines)


@st.composite
def notebooks(draw: st.DrawFn) -> Generated:
    m = Model()
    cells: list[CellSpec] = []
    for number in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 14))
        if kind < 2:
            cells.append(md(f"## Part {number}"))
        elif kind == 2:
            cells.append(draw(st.sampled_from(["", "\n", "# nothing yet"])))
        else:
            timeit = f"%timeit -n1 -r1 {_expr(draw, m, ['2'], set())}"
            source = _cell_source(draw, _chunks(draw, m), timeit)
            if _one_in(draw, 40):
                m.kept |= set(re.findall(r"^(?:def|class) (\w+)", source, re.MULTILINE))
                cells.append(code(source, tags=(KEEP_TAG,)))
            else:
                cells.append(source)
    # A name defined with several bodies moves version by version, or stays whole (tests/
    # notebook/test_versions.py): invariants 1 to 5 hold for it, and 6 is not predicted; nor
    # is it for what reads it, which may name one version or take the name as a parameter.
    defined = set(m.sources) - m.evolving
    stays = m.tainted(m.state | m.bad | m.kept)
    moves = defined - m.tainted(m.state | m.bad | m.kept | m.evolving)
    stuck = m.tainted((m.bad | m.kept) - m.evolving, barrier=m.evolving)
    return Generated(cells, defined & stays, moves, defined & stuck)


# --- the invariants ----------------------------------------------------------------------


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _code(cells: list[dict[str, Any]]) -> dict[str, str]:
    """Cell id -> source, for the code cells."""
    return {str(c["id"]): "".join(c["source"]) for c in cells if c["cell_type"] == "code"}


def _defines(text: str, name: str) -> bool:
    return re.search(rf"^(?:def|class) {name}\b", text, re.MULTILINE) is not None


def _note(text: str) -> None:
    """Shown with a failing example; printed when a regression test fails."""
    if currently_in_test_context():
        note(text)
    else:
        print(text)


def _is_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def _unparametrized(line: str) -> str:
    """A line without what parametrization adds, and without commas and spaces: `*, data` in
    a signature, `data=data` in a call, the lambda that wraps a function passed as a value,
    quotes around an annotation, brackets; a `global` of a variable that became a parameter
    becomes `pass`."""
    if line.strip() == "pass" or line.lstrip().startswith("global "):
        return ""
    line = re.sub(r"(?<=\w)_v\d+\b", "", line)  # the earlier version of an evolving name
    # A function passed as a value is wrapped: `lambda *args, **kwargs: f(*args, **kwargs, x=x)`.
    line = re.sub(r"lambda \*(\w+), \*\*(\w+): (\w+)\(\*\1, \*\*\2(?:, (\w+)=\4)+\)", r"\3", line)
    line = re.sub(r"\*, \w+(?:, \w+)*(?=\))", "", line)
    line = re.sub(r"\b(\w+)=\1\b", "", line)
    # Commas and spaces move around what was added; an annotation naming state is quoted.
    # A generator that was a call's only argument gets its own brackets.
    return re.sub(r"[\s,()]|'(?=\w+')|(?<=\w)'", "", line)


def check_extraction(
    folder: Path,
    cells: Sequence[CellSpec],
    stay: set[str],
    move: set[str],
    *,
    parametrize: bool = False,
) -> None:
    """Extract, then check the invariants. Without parametrization `stay` and `move` are
    exactly what stays and moves; with it, what reads notebook state may move too, and
    whatever stays says why."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".git").mkdir()  # a repository root without pyproject.toml: outside a project
    nb = write_notebook(folder / "analysis.ipynb", *cells)
    module = folder / "analysis.py"
    before = _code(read_cells(nb))
    original = _run(folder, "-c", RUNNER, str(nb))
    assert original.returncode == 0, f"the generated notebook does not run:\n{original.stderr}"

    messages = StringIO()
    options = ExtractOptions(format=False, parametrize=parametrize)
    result = extract_notebook(nb, options, output=Output(err=messages))
    _note(messages.getvalue())
    assert result.error is None and not result.conflicts, messages.getvalue()
    after = _code(read_cells(nb))
    text = module.read_text(encoding="utf-8") if module.exists() else ""
    _note(f"module:\n{text}\nnotebook:\n" + "\n# ---\n".join(after.values()))

    # 1. The module compiles and imports in a fresh interpreter.
    assert module.exists() == bool(result.extracted)
    if module.exists():
        compile(text, str(module), "exec")
        imported = _run(folder, "-c", "import analysis")
        assert imported.returncode == 0, imported.stderr
        assert imported.stdout == "", "importing the module has side effects"

    # 2. The rewritten notebook does what the original did.
    rewritten = _run(folder, "-c", RUNNER, str(nb))
    assert rewritten.returncode == 0, rewritten.stderr
    assert rewritten.stdout == original.stdout

    # 3. Every name the remaining cells read is still bound.
    assert unbound_reads(list(after.values())) <= unbound_reads(list(before.values()))

    # 4. No code is lost; no IPython syntax reaches the module.
    module_lines = {_unparametrized(line) for line in text.split("\n")}
    raw_module_lines = set(text.split("\n"))
    for cell_id, source in before.items():
        removed = Counter(map(_unparametrized, source.split("\n"))) - Counter(
            map(_unparametrized, after.get(cell_id, "").split("\n"))
        )
        for line in removed:
            if line == "%%time":
                # Only the %%time header of a cell that is removed whole may go.
                assert cell_id not in after, (cell_id, line)
            elif line.strip():
                assert line in module_lines, f"cell {cell_id} lost {line!r}"
    for line in raw_module_lines:
        # A line of a docstring may look like shell (`!important`); a statement may not.
        assert not _is_magic(line) or line in DOCSTRING_LINES, line

    # 5. Extracting again changes nothing.
    files = snapshot(folder)
    extract_notebook(nb, options, output=Output(err=StringIO()))
    assert snapshot(folder) == files, "a second run changed files"

    # 6. What reads notebook state stays (or, parametrized, may move); the rest moves.
    kept = "\n".join(
        "".join(c["source"])
        for c in read_cells(nb)
        if KEEP_TAG in c.get("metadata", {}).get("tags", [])
        or "dsprod: keep" in "".join(c["source"])
    )
    for name in set(re.findall(r"^(?:def|class) (\w+)", "\n".join(before.values()), re.M)):
        if name not in result.extracted and not _defines(kept, name):
            assert f"{name} not extracted" in messages.getvalue(), f"{name} stayed silently"
    for name in stay:
        assert name not in result.extracted, name
        assert any(_defines(s, name) for s in after.values()), name
        assert not _defines(text, name), name
    for name in move:
        assert name in result.extracted, name
        assert not any(_defines(s, name) for s in after.values()), name
        assert _defines(text, name), name


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=notebooks())
def test_extraction_keeps_what_generated_notebooks_do(
    generated: Generated, tmp_path_factory: pytest.TempPathFactory
) -> None:
    note("\n# ---\n".join(c if isinstance(c, str) else "<markdown>" for c in generated.cells))
    check_extraction(tmp_path_factory.mktemp("nb"), generated.cells, generated.stay, generated.move)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=notebooks())
def test_parametrized_extraction_keeps_what_generated_notebooks_do(
    generated: Generated, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Notebook state becomes parameters: the same invariants hold, what reads no state moves
    as before, and whatever stays says why."""
    note("\n# ---\n".join(c if isinstance(c, str) else "<markdown>" for c in generated.cells))
    folder = tmp_path_factory.mktemp("nb")
    check_extraction(folder, generated.cells, generated.stuck, generated.move, parametrize=True)


# --- bugs the property found, minimised, now regression tests ------------------------------


def test_a_statement_on_the_line_of_a_moved_constant_stays(tmp_path: Path) -> None:
    # The constant shares its line with the import: dsprod does not split lines, so it refuses
    # to move C (and so f) and says why, instead of taking the import with it.
    cells = ["import math; C = math.sqrt(4)", "def f(x):\n    return x * C", "print(f(2), math.pi)"]
    check_extraction(tmp_path / "nb", cells, stay={"f"}, move=set())


def test_a_pure_call_of_a_from_import_is_a_constant(tmp_path: Path) -> None:
    # C moves with f, as `collections.Counter("abca")` would.
    cells = [
        "from collections import Counter",
        'C = Counter("abca")["a"]',
        "def f(x):\n    return x * C",
        "print(f(2))",
    ]
    check_extraction(tmp_path / "nb", cells, stay=set(), move={"f"})


def test_a_docstring_line_starting_with_a_bang_is_not_shell(tmp_path: Path) -> None:
    # The `!` line is inside a docstring: Python, not shell.
    cells = [
        '%matplotlib inline\ndef f(x):\n    """Shout.\n    !important\n    """\n    return x',
        "print(f(1))",
    ]
    check_extraction(tmp_path / "nb", cells, stay=set(), move={"f"})


def test_a_function_reading_dunder_name_keeps_its_result(tmp_path: Path) -> None:
    # `where` is refused: in a module `__name__` would be the module's name, not `__main__`.
    cells = ["def where():\n    return __name__", "print(where())"]
    check_extraction(tmp_path / "nb", cells, stay=set(), move=set())
