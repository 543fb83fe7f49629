"""`NamedTuple`, typing's, made at a quarter of the cost: the records on every command's start-up.

`from dsprod._records import NamedTuple` is `typing.NamedTuple` to mypy. At run time the class
is the one typing makes (`collections.namedtuple` with the defaults, the annotations and what
the class body defines), without what typing does besides: it turns each string annotation
(`from __future__ import annotations`) into a `ForwardRef`, which compiles it, and sets the new
class's bases to the `(tuple,)` they already are, which makes Python recompute its method
slots. Nor is namedtuple's `__new__` compiled for each record (`_new_function`). A record of
five fields: 0.23 M instructions, typing's 0.95 M, 0.46 M with the compiled `__new__`; a
2,000-cell extract makes 30 at start-up. Instances are the same: same class, same methods.
"""

__all__ = ["NamedTuple"]

TYPE_CHECKING = False  # not typing's: this module imports no typing

if TYPE_CHECKING:
    from typing import NamedTuple
else:
    import collections

    # As typing's NamedTupleMeta (3.10-3.13): what a class body may not define, and what it
    # defines that the record keeps from namedtuple.
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
        | {"_make", "_replace", "_asdict", "_source"}
    )
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    _tuple_new = tuple.__new__

    # namedtuple's `__new__` of 1 to 10 fields, compiled with this module: the source it
    # compiles for each record (`_new_function`), with the fields renamed a, b, c...
    _NEW_OF_ARITY = (
        lambda _cls, a: _tuple_new(_cls, (a,)),
        lambda _cls, a, b: _tuple_new(_cls, (a, b)),
        lambda _cls, a, b, c: _tuple_new(_cls, (a, b, c)),
        lambda _cls, a, b, c, d: _tuple_new(_cls, (a, b, c, d)),
        lambda _cls, a, b, c, d, e: _tuple_new(_cls, (a, b, c, d, e)),
        lambda _cls, a, b, c, d, e, f: _tuple_new(_cls, (a, b, c, d, e, f)),
        lambda _cls, a, b, c, d, e, f, g: _tuple_new(_cls, (a, b, c, d, e, f, g)),
        lambda _cls, a, b, c, d, e, f, g, h: _tuple_new(_cls, (a, b, c, d, e, f, g, h)),
        lambda _cls, a, b, c, d, e, f, g, h, i: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i)),
        lambda _cls, a, b, c, d, e, f, g, h, i, j: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j)),
    )
    _function = type(lambda: None)

    def _new_function(source, namespace):
        """`eval(source, namespace)` for namedtuple, which evaluates one source per record:
        `lambda _cls, x, y: _tuple_new(_cls, (x, y))`, its `__new__` (0.26 M instructions to
        compile, of the 0.48 M a record took). The same lambda of as many fields, compiled
        with this module, renamed (its parameters, its file: eval's "<string>", line 1) is that
        function: same bytecode, names, constants and globals; only the columns of its line
        table differ, which a traceback shows with the source line, and "<string>" has none.
        Any other source (another Python's namedtuple, more fields) is evaluated."""
        args = source[len("lambda _cls, ") : source.find(":")]
        names = tuple(args.rstrip(",").split(", "))
        if (
            source == f"lambda _cls, {args}: _tuple_new(_cls, ({args}))"
            and len(names) <= len(_NEW_OF_ARITY)
            and all(name.isidentifier() for name in names)
        ):
            code = _NEW_OF_ARITY[len(names) - 1].__code__.replace(
                co_varnames=("_cls", *names), co_filename="<string>", co_firstlineno=1
            )
            return _function(code, namespace)
        return eval(source, namespace)  # noqa: S307 - namedtuple's own eval

    # namedtuple itself (this Python's code, whatever its version) with `_new_function` for
    # the builtin `eval` in a copy of its globals (those of `collections`, which the methods it
    # makes have as theirs): everything else it does is done as it does it.
    _namedtuple = _function(
        collections.namedtuple.__code__,
        {**vars(collections), "eval": _new_function},
        collections.namedtuple.__name__,
        collections.namedtuple.__defaults__,
        collections.namedtuple.__closure__,
    )
    _namedtuple.__kwdefaults__ = collections.namedtuple.__kwdefaults__

    class _RecordMeta(type):
        def __new__(cls, typename, bases, ns):
            if bases != (_Record,):
                raise TypeError("can only inherit from a NamedTuple type")
            annotations = ns.get("__annotations__", {})
            defaults = []
            for name in annotations:
                if name in ns:
                    defaults.append(ns[name])
                elif defaults:  # namedtuple would give the defaults to the last fields
                    raise TypeError(f"Non-default namedtuple field {name} cannot follow a default")
            record = _namedtuple(typename, annotations, defaults=defaults, module=ns["__module__"])
            record.__annotations__ = record.__new__.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
                if key not in _SPECIAL and key not in record._fields:
                    setattr(record, key, value)
                    # As typing does from Python 3.12 on (a descriptor learns its name).
                    set_name = getattr(type(value), "__set_name__", None)
                    if set_name is not None:
                        set_name(value, record, key)
            return record

    _Record = type.__new__(_RecordMeta, "NamedTuple", (), {})

    def NamedTuple(*args, **kwargs):  # noqa: N802 - typing's name
        """`NamedTuple("Name", [(field, type), ...])`: typing's own (dsprod uses classes)."""
        import typing

        return typing.NamedTuple(*args, **kwargs)

    NamedTuple.__mro_entries__ = lambda _bases: (_Record,)
