"""Notebook state as parameters: each case runs the notebook before and after extraction and
compares what it prints (tests/notebook/test_property.py's `check_extraction`)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import code_sources, write_notebook
from tests.notebook.test_property import check_extraction

DATA = "data = [i for i in range(1, 4)]"  # computed when the notebook runs: state


def run(tmp_path: Path, *cells: str, stay: set[str], move: set[str]) -> tuple[str, list[str]]:
    """Check the extraction's invariants; the module's text and the notebook's code cells."""
    folder = tmp_path / "nb"
    check_extraction(folder, list(cells), stay, move, parametrize=True)
    module = folder / "analysis.py"
    text = module.read_text(encoding="utf-8") if module.exists() else ""
    return text, code_sources(folder / "analysis.ipynb")


def messages(tmp_path: Path, *cells: str) -> str:
    nb = write_notebook(tmp_path / "m" / "nb.ipynb", *cells)
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    return err.getvalue()


def test_a_call_passes_the_variable_and_a_rebinding_between_calls_is_seen(
    tmp_path: Path,
) -> None:
    module, cells = run(
        tmp_path,
        DATA,
        "def total(k):\n    return sum(data) * k",
        "print(total(2))\ndata = [10]\nprint(total(2))",
        stay=set(),
        move={"total"},
    )
    assert "def total(k, *, data):" in module
    assert "=" not in module.split("def total")[1].split(":")[0], "no default captures state"
    assert cells[-1] == "print(total(2, data=data))\ndata = [10]\nprint(total(2, data=data))"


def test_callers_thread_the_parameter_and_recursion_passes_it_on(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        DATA,
        "def first():\n    return data[0]",
        "def countdown(n):\n    return first() if n == 0 else countdown(n - 1) + 1",
        "def doubled():\n    return [countdown(i) for i in range(2)] * 2",
        "print(doubled())\ndata = [5]\nprint(doubled())",
        stay=set(),
        move={"first", "countdown", "doubled"},
    )
    assert "def countdown(n, *, data):" in module
    assert "first(data=data) if n == 0 else countdown(n - 1, data=data) + 1" in module
    assert "[countdown(i, data=data) for i in range(2)]" in module
    assert cells[-1] == "print(doubled(data=data))\ndata = [5]\nprint(doubled(data=data))"


def test_calls_inside_comprehensions_lambdas_and_nested_functions(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        DATA,
        "def scale(x):\n    return x * len(data)",
        # Inside the notebook's own lambda and comprehension: the call passes `data` there.
        "print([scale(i) for i in range(3)], (lambda v: scale(v))(2))",
        # A nested function reads `data` lazily; bound once, its value cannot change.
        "def nested(x):\n    def inner(y):\n        return y + data[0]\n    return inner(x)",
        "print(nested(1))",
        stay=set(),
        move={"scale", "nested"},
    )
    assert "print([scale(i, data=data) for i in range(3)], (lambda v: scale(v, data=data))(2))" in (
        cells
    )
    assert "def nested(x, *, data):" in module


def test_a_lazy_read_of_a_variable_the_notebook_rebinds_stays(tmp_path: Path) -> None:
    # The generator runs after `data` is rebound: the original reads the new value.
    text = messages(
        tmp_path,
        DATA,
        "def lazy():\n    return (v + data[0] for v in range(2))",
        "g = lazy()\ndata = [7]\nprint(list(g))",
    )
    assert "lazy not extracted: reads the notebook's `data` in a nested function" in text


REBOUND = "data = [i for i in range(1, 4)]\ndata = data + [4]"  # bound twice: it may change


def test_a_nested_function_only_called_in_the_body_reads_a_rebound_variable_then(
    tmp_path: Path,
) -> None:
    # `inner` runs while `outer` runs: the parameter is the notebook's value at that moment.
    module, cells = run(
        tmp_path,
        REBOUND,
        "def outer(x):\n"
        "    def inner(y):\n        return y + data[0] if y < 2 else inner(y - 1)\n"
        "    return inner(x) + sum(v * data[-1] for v in range(2))",
        "print(outer(1))\ndata = [7]\nprint(outer(3))",
        stay=set(),
        move={"outer"},
    )
    assert "def outer(x, *, data):" in module
    assert cells[-1] == "print(outer(1, data=data))\ndata = [7]\nprint(outer(3, data=data))"


@pytest.mark.parametrize(
    "body",
    [
        # The nested function leaves: called after the notebook rebinds `data`.
        "def make():\n    def inner():\n        return data[0]\n    return inner",
        # Passed on, not called: whoever gets it may call it later.
        "def make():\n    def inner():\n        return data[0]\n    return list(map(inner, []))"
        " or inner",
        # A generator that `sum` would consume, but `sum` is a local name here.
        "def make():\n    sum = lambda g: g\n    return sum(v + data[0] for v in range(2))",
    ],
)
def test_a_nested_read_that_may_run_later_stays(tmp_path: Path, body: str) -> None:
    text = messages(tmp_path, REBOUND, body, "f = make()\ndata = [7]\nprint(f)")
    assert "make not extracted: reads the notebook's `data` in a nested function" in text


def test_a_generator_function_reading_a_rebound_variable_stays(tmp_path: Path) -> None:
    _, cells = run(
        tmp_path,
        DATA,
        "def items():\n    yield from data",
        "it = items()\ndata = [9]\nprint(list(it))",
        stay={"items"},
        move=set(),
    )
    assert cells[1] == "def items():\n    yield from data"


def test_a_function_passed_to_a_call_is_wrapped_and_reads_the_variable_when_called(
    tmp_path: Path,
) -> None:
    _, cells = run(
        tmp_path,
        DATA,
        "def plus(x):\n    return x + data[0]",
        # `m` is made before `data` changes and run after: the wrapper reads `data` when it is
        # called, as `plus` did, not when it is made (functools.partial would read it early).
        "m = map(plus, [1, 2])\ndata = [10]\nprint(list(m), sorted([3, 1], key=plus))",
        stay=set(),
        move={"plus"},
    )
    wrapper = "lambda *args, **kwargs: plus(*args, **kwargs, data=data)"
    assert cells[-1] == (
        f"m = map({wrapper}, [1, 2])\ndata = [10]\nprint(list(m), sorted([3, 1], key={wrapper}))"
    )


def test_a_wrapper_does_not_shadow_the_variable_it_passes(tmp_path: Path) -> None:
    _, cells = run(
        tmp_path,
        "args = [1, 2]",
        "args = args + [3]",  # bound twice: notebook state
        "def first(x):\n    return x + args[0]",
        "print(list(map(first, [5])))",
        stay=set(),
        move={"first"},
    )
    assert cells[-1] == (
        "print(list(map(lambda *_args, **_kwargs: first(*_args, **_kwargs, args=args), [5])))"
    )


def test_a_function_stored_as_a_value_stays_and_says_why(tmp_path: Path) -> None:
    cells = [
        DATA,
        "def plus(x):\n    return x + data[0]",
        "table = {'p': plus}\nprint(table['p'](1), plus.__name__)",
    ]
    run(tmp_path, *cells, stay={"plus"}, move=set())
    text = messages(tmp_path, *cells)
    assert "plus not extracted: needs the notebook's `data` as a parameter, and is used as a " in (
        text
    )
    assert "nb.ipynb:cell 3:line 1 (not called, nor passed to a call)" in text
    assert "lambda *a, **k: plus(*a, **k, data=data)" in text


def test_a_function_sent_to_a_process_pool_stays(tmp_path: Path) -> None:
    # A lambda does not pickle: a process pool could not take the wrapper.
    text = messages(
        tmp_path,
        DATA,
        "def plus(x):\n    return x + data[0]",
        "import concurrent.futures\n"
        "with concurrent.futures.ProcessPoolExecutor() as executor:\n"
        "    print(list(executor.map(plus, [1])))",
    )
    assert "nb.ipynb:cell 3:line 3 to executor.map, which may send it to another process" in text


def test_a_function_whose_signature_is_read_is_not_wrapped(tmp_path: Path) -> None:
    text = messages(
        tmp_path,
        DATA,
        "def plus(x):\n    return x + data[0]",
        "import inspect\nprint(inspect.signature(plus))",
    )
    assert "to inspect.signature, which reads its signature or source" in text


def test_a_function_that_takes_kwargs_is_not_wrapped(tmp_path: Path) -> None:
    text = messages(
        tmp_path,
        DATA,
        "def plus(x, **options):\n    return x + data[0]",
        "print(list(map(plus, [1])))",
    )
    assert "plus not extracted: takes **options, and is passed as a value at" in text


def test_a_moving_caller_hands_on_a_function_only_when_the_value_cannot_change(
    tmp_path: Path,
) -> None:
    # `data` is bound once: the caller's parameter is the notebook's value whenever read.
    module, cells = run(
        tmp_path,
        DATA,
        "def plus(x):\n    return x + data[0]",
        "def plus_all(xs):\n    return list(map(plus, xs))",
        "print(plus_all([1, 2]))",
        stay=set(),
        move={"plus", "plus_all"},
    )
    assert "return list(map(lambda *args, **kwargs: plus(*args, **kwargs, data=data), xs))" in (
        module
    )
    assert cells[-1] == "print(plus_all([1, 2], data=data))"
    # Rebound: the map the caller returns may run after the notebook rebinds `data`, and then
    # the original reads the new value. The caller stays, and wraps in the notebook.
    _, cells = run(
        tmp_path / "rebound",
        DATA,
        "def plus(x):\n    return x + data[0]",
        "def lazy(xs):\n    return map(plus, xs)",
        "m = lazy([1, 2])\ndata = [10]\nprint(list(m))",
        stay={"lazy"},
        move={"plus"},
    )
    wrapper = "lambda *args, **kwargs: plus(*args, **kwargs, data=data)"
    assert cells[2] == f"def lazy(xs):\n    return map({wrapper}, xs)"
    assert "nb.ipynb:cell 3:line 2, and `plus` reads the notebook's `data` when it runs" in (
        messages(
            tmp_path,
            DATA,
            "def plus(x):\n    return x + data[0]",
            "def lazy(xs):\n    return map(plus, xs)",
            "m = lazy([1, 2])\ndata = [10]\nprint(list(m))",
        )
    )


def test_a_read_through_global_drops_the_global_statement(tmp_path: Path) -> None:
    module, _ = run(
        tmp_path,
        DATA,
        "def head():\n    global data\n    return data[0]",
        "print(head())",
        stay=set(),
        move={"head"},
    )
    assert "def head(*, data):\n    pass\n    return data[0]" in module


def test_a_decorated_function_reading_state_stays(tmp_path: Path) -> None:
    # functools.cache would cache on the new argument (a list is unhashable): refused.
    _, _ = run(
        tmp_path,
        "import functools\n" + DATA,
        "@functools.cache\ndef cached():\n    return sum(data)",
        "print(cached())",
        stay={"cached"},
        move=set(),
    )
    assert "its decorator @functools.cache may call it without one" in messages(
        tmp_path,
        "import functools\n" + DATA,
        "@functools.cache\ndef cached():\n    return sum(data)",
    )


def test_a_decorator_that_passes_calls_through_is_kept(tmp_path: Path) -> None:
    # torch.no_grad() calls the function with the arguments it gets, and keeps nothing.
    # A stand-in `torch` next to the notebook: the rule reads the import, not the package.
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "torch.py").write_text(
        "import contextlib\n\n\nclass no_grad(contextlib.ContextDecorator):\n"
        "    def __enter__(self):\n        print('no grad')\n\n"
        "    def __exit__(self, *exc):\n        return False\n",
        encoding="utf-8",
    )
    module, cells = run(
        tmp_path,
        "import torch\n" + DATA,
        "@torch.no_grad()\ndef loss(k):\n    return sum(data) * k",
        "print(loss(2))\ndata = [1]\nprint(loss(2))",
        stay=set(),
        move={"loss"},
    )
    assert "@torch.no_grad()\ndef loss(k, *, data):" in module
    assert cells[-1] == "print(loss(2, data=data))\ndata = [1]\nprint(loss(2, data=data))"


def test_a_class_reading_state_stays_with_the_reason(tmp_path: Path) -> None:
    cells = [
        DATA,
        "class Box:\n    def size(self):\n        return len(data)",
        "print(Box().size())",
    ]
    run(tmp_path, *cells, stay={"Box"}, move=set())
    assert "pass `data` to its constructor" in messages(tmp_path, *cells)


def test_a_call_before_the_variable_is_bound_stays(tmp_path: Path) -> None:
    # The original never reads `data` when called with flag=False; passing it would fail.
    cells = [
        "def pick(flag):\n    return data if flag else 0",
        "print(pick(False))",
        DATA,
        "print(pick(True))",
    ]
    run(tmp_path, *cells, stay={"pick"}, move=set())
    assert "before `data` is first bound (at" in messages(tmp_path, *cells)


def test_a_caller_with_a_local_of_the_same_name_stays(tmp_path: Path) -> None:
    cells = [
        DATA,
        "def head():\n    return data[0]",
        "def shadowed(data):\n    return head() + len(data)",
        "print(head(), shadowed([1]))",
    ]
    # shadowed stays; its call of head could not pass the notebook's `data`: head stays too.
    run(tmp_path, *cells, stay={"shadowed", "head"}, move=set())
    assert "is a local name there; rename the local" in messages(tmp_path, *cells)


def test_annotations_naming_state_become_strings(tmp_path: Path) -> None:
    module, _ = run(
        tmp_path,
        "Number = int\nNumber = float",
        "def norm(p: Number) -> float:\n    return abs(p)",
        "print(norm(-2.5))",
        stay=set(),
        move={"norm"},
    )
    assert "def norm(p: 'Number') -> float:" in module


def test_parametrize_can_be_turned_off(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", DATA, "def f():\n    return data", "f()")
    err = StringIO()
    options = ExtractOptions(format=False, parametrize=False)
    result = extract_notebook(nb, options, output=Output(err=err))
    assert result.extracted == []
    assert "make `data` a parameter of f" in err.getvalue()
    assert json.loads(nb.read_text())["cells"][1]["source"] == ["def f():\n", "    return data"]
    assert not (tmp_path / "nb.py").exists()


@pytest.mark.parametrize(
    ("call", "after"),
    [
        ("f()", "f(data=data)"),
        ("f(1,)", "f(1, data=data)"),
        ("f(\n    1,  # one\n)", "f(\n    1, data=data  # one\n)"),
        ("print(sum(f(x) for x in [1]))", "print(sum(f(x, data=data) for x in [1]))"),
        ("print(f(x for x in [1]))", "print(f((x for x in [1]), data=data))"),
    ],
)
def test_call_sites_keep_their_layout(tmp_path: Path, call: str, after: str) -> None:
    _, cells = run(
        tmp_path,
        DATA,
        "def f(x=0):\n    return (x if isinstance(x, int) else sum(x)) + data[0]",
        call,
        stay=set(),
        move={"f"},
    )
    assert cells[-1] == after


@pytest.mark.parametrize("rebinds", [False, True])
def test_a_name_one_run_notebook_binds_for_good_may_be_read_later(
    tmp_path: Path, rebinds: bool
) -> None:
    # `%run utils.ipynb` runs in the notebook's namespace: its `scale` never changes unless
    # one of its functions assigns it through `global`. Read in a generator, which may run
    # after a rebinding, it can be a parameter only when nothing rebinds it.
    reset = "def reset():\n    global scale\n    scale = 0" if rebinds else "def reset():\n    pass"
    write_notebook(tmp_path / "m" / "utils.ipynb", "scale = 3", reset)
    text = messages(
        tmp_path,
        "%run utils.ipynb",
        "def f(xs):\n    return list(map(lambda v: v * scale, xs))",
        "print(f([1, 2]))",
    )
    refused = "f not extracted: reads the notebook's `scale` in a nested function or generator"
    assert ("f not extracted" in text) == rebinds == (refused in text), text


def test_a_name_a_cell_that_does_not_parse_mentions_may_come_from_run(tmp_path: Path) -> None:
    # `scale` may be bound by the %run line or by the cell that does not parse: the call
    # after the %run may pass it (were it bound in neither, both versions raise NameError).
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "%run utils.py",
        "def f(x):\n    return x * scale",
        "print(f(2))",
        "print 'scale', scale",
    )
    (tmp_path / "utils.py").write_text("scale = 3\n", encoding="utf-8")
    err = StringIO()
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=err))
    assert result.extracted == ["f"], err.getvalue()
    assert code_sources(nb)[2] == "print(f(2, scale=scale))"
