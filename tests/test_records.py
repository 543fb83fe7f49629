"""`dsprod._records.NamedTuple` makes the class typing's NamedTuple makes."""

from __future__ import annotations

import inspect
import pickle
import typing
from typing import Any

import pytest

from dsprod._records import NamedTuple


def both(body: str) -> tuple[Any, Any]:
    """The class `Rec` of `body` made with typing's NamedTuple and with dsprod's, each with
    string annotations, as in every dsprod module."""
    made = []
    for base in (typing.NamedTuple, NamedTuple):
        space: dict[str, Any] = {"__name__": __name__, "Base": base}
        exec(f"from __future__ import annotations\nclass Rec(Base):\n{body}", space)
        made.append(space["Rec"])
    return made[0], made[1]


BODIES = [
    "    a: int\n",
    '    """A record."""\n\n    a: int\n    b: str | None = None\n    c: tuple[str, ...] = ()\n',
    "    a: int = 1\n    b: int = 2\n",
    "    x: int\n    y: int\n\n    def total(self) -> int:\n        return self.x + self.y\n\n"
    "    @property\n    def half(self) -> float:\n        return self.x / 2\n",
    "    x: int\n    KIND = 'point'\n\n    def __repr__(self) -> str:\n        return 'P'\n",
    # Ten fields, the most `__new__` is not compiled for, and eleven, compiled as namedtuple does.
    "".join(f"    f{i}: int\n" for i in range(9)) + "    f9: int = 9\n",
    "".join(f"    f{i}: int = {i}\n" for i in range(11)),
]


@pytest.mark.parametrize("body", BODIES)
def test_a_record_is_the_class_typing_makes(body: str) -> None:
    theirs, ours = both(body)
    for name in ("_fields", "_field_defaults", "__doc__", "__module__", "__qualname__"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.__mro__[1:] == theirs.__mro__[1:] == (tuple, object)
    assert {type(ours), type(theirs)} == {type}
    assert list(ours.__annotations__) == list(theirs.__annotations__)
    names = {n for n in vars(theirs) if n not in ("__annotations__", "__orig_bases__", "__new__")}
    assert set(vars(ours)) - {"__annotations__", "__orig_bases__", "__new__"} == names
    for name in names:
        mine, typings = vars(ours)[name], vars(theirs)[name]
        if callable(mine) and hasattr(mine, "__code__"):
            assert mine.__code__.co_code == typings.__code__.co_code, name
    values = [(n, 7) for n in theirs._fields if n not in theirs._field_defaults]
    a, b = ours(**dict(values)), theirs(**dict(values))
    assert tuple(a) == tuple(b)
    assert repr(a) == repr(b)
    assert a._asdict() == b._asdict()
    assert hash(a) == hash(tuple(a))
    assert a._replace(**{theirs._fields[0]: 3}) == b._replace(**{theirs._fields[0]: 3})
    if "total" in names:
        assert a.total() == b.total() and a.half == b.half


@pytest.mark.parametrize("body", BODIES)
def test_a_records_new_is_the_function_namedtuple_compiles(body: str) -> None:
    theirs, ours = (record.__new__ for record in both(body))
    for name in ("__name__", "__qualname__", "__doc__", "__module__", "__defaults__"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert list(ours.__annotations__) == list(theirs.__annotations__)  # typing's: ForwardRefs
    assert ours.__globals__.keys() == theirs.__globals__.keys()
    assert ours.__globals__["_tuple_new"] is theirs.__globals__["_tuple_new"]
    assert ours.__builtins__ == theirs.__builtins__ == {}
    parameters = [inspect.signature(new).parameters.values() for new in (ours, theirs)]
    assert [(p.name, p.kind, p.default) for p in parameters[0]] == [
        (p.name, p.kind, p.default) for p in parameters[1]
    ]
    for name in dir(theirs.__code__):
        if name.startswith("co_") and name not in ("co_lines", "co_positions", "co_linetable"):
            assert getattr(ours.__code__, name) == getattr(theirs.__code__, name), name
    # The same lines: only the columns differ (a traceback shows them with the source line,
    # and the file "<string>" has none).
    assert list(ours.__code__.co_lines()) == list(theirs.__code__.co_lines())
    refused = []
    for new in (theirs, ours):
        with pytest.raises(TypeError) as error:
            new(tuple, *range(12))
        refused.append(str(error.value))
    assert refused[0] == refused[1]


def test_a_record_pickles_by_its_module_and_name() -> None:
    from dsprod.errors import Flag

    flag = Flag("python", "PATH")
    assert pickle.loads(pickle.dumps(flag)) == flag


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("    a: int = 1\n    b: int\n", TypeError),  # a field without a default after one
        ("    a: int\n\n    def _replace(self) -> None:\n        pass\n", AttributeError),
    ],
)
def test_a_record_refuses_what_typing_refuses(body: str, error: type[Exception]) -> None:
    for base in (typing.NamedTuple, NamedTuple):
        with pytest.raises(error):
            exec(
                f"from __future__ import annotations\nclass Rec(Base):\n{body}",
                {"__name__": __name__, "Base": base},
            )


def test_a_record_has_no_other_base() -> None:
    with pytest.raises(TypeError):
        exec("class Rec(Base, int):\n    a: int\n", {"__name__": __name__, "Base": NamedTuple})


def test_the_call_form_is_typings() -> None:
    Point = NamedTuple("Point", [("x", int), ("y", int)])  # noqa: N806 - mypy: its name
    assert Point(1, 2) == (1, 2)
    assert Point._fields == ("x", "y")


def test_a_record_of_up_to_ten_fields_compiles_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def no_eval(*args: Any) -> Any:
        raise AssertionError("compiled")

    monkeypatch.setattr(builtins, "eval", no_eval)
    for body in BODIES[:6]:
        exec(
            f"from __future__ import annotations\nclass Rec(Base):\n{body}",
            {"__name__": __name__, "Base": NamedTuple},
        )
    with pytest.raises(AssertionError, match="compiled"):  # eleven: namedtuple's eval
        exec(f"class Rec(Base):\n{BODIES[6]}", {"__name__": __name__, "Base": NamedTuple})
