"""Read a project's settings in the project's own interpreter; dsprod never imports this module.

`dsprod env` runs this file's text with `python -c TEXT MODULE ENV SEARCH_PATH SECRET_PATTERN`
in the project's interpreter (its `.venv`), because only there are the project's package, its
pydantic-settings and its settings class, with the project's types and validators, importable.
Standard library only at the top: pydantic and the project are imported on the other side.

It prints one line, MARKER followed by JSON: every field (dotted key, environment variable,
type, default, secret or not), which of the settings' own sources gave each value (the chain
`Settings.settings_customise_sources` returns, asked one by one, so precedence is the
project's and not a copy of it), the validated values, and the problems `load_settings()`
raised. Secrets never leave: a secret field is reported as set or not set, without its value.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import typing
from pathlib import Path
from typing import Any

MARKER = "::dsprod-probe:: "
_MODULE_PREFIX = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*)")
_SECRET_TYPES = ("SecretStr", "SecretBytes")


def main(argv: list[str]) -> None:
    module_name, env, search, secret_pattern = argv
    os.environ["APP_ENV"] = env
    if search:
        sys.path.insert(0, search)  # the project's working tree wins over an installed copy
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # The module, or something it imports, is not installed in this interpreter.
        report: dict[str, Any] = {"error": _message(exc), "stage": "missing"}
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: reported, the file named
        # The module is there but raised while being imported (`SETTINGS = Settings()` at the
        # top level, a syntax error): the settings file is what to fix, not the install.
        report = {"error": _message(exc), "stage": "import"}
    else:
        try:
            report = _probe(module, module_name, re.compile(secret_pattern))
        except Exception as exc:  # noqa: BLE001 - reported to dsprod, which names the file
            report = {"error": _message(exc), "stage": "read"}
    sys.stdout.write("\n" + MARKER + json.dumps(report, default=str) + "\n")


def _message(exc: BaseException, *, named: bool = True) -> str:
    """`exc` as text without the values it was given, after its type when `named`. A pydantic
    ValidationError's text quotes each refused input (`input_value='sk-...'`), a secret among
    them: its errors are listed without their inputs, never as str(exc)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            try:
                details = errors(include_url=False, include_input=False)
            except TypeError:  # pydantic 1 style: no keywords (and no inputs in the text)
                details = errors()
            listed = [
                f"{'.'.join(str(part) for part in item['loc']) or '(settings)'}: "
                + str(item["msg"]).removeprefix("Value error, ")
                for item in details
            ]
        except Exception:  # noqa: BLE001 - an errors() that is not pydantic's: name the type
            return f"{type(exc).__name__} (its message may hold values; not shown)"
        return f"{type(exc).__name__}: " * named + "; ".join(listed)
    return f"{type(exc).__name__}: " * named + str(exc)


def _probe(module: Any, module_name: str, secret: re.Pattern[str]) -> dict[str, Any]:
    settings_cls: Any = getattr(module, "Settings", None)
    if settings_cls is None or not hasattr(settings_cls, "settings_customise_sources"):
        return {"error": f"{module_name} has no Settings class (a pydantic-settings BaseSettings)"}
    secret_fields = {str(name) for name in getattr(module, "SECRET_FIELDS", ())}
    config = dict(settings_cls.model_config)
    fields = list(_fields(settings_cls, config, [], [], None, secret_fields, secret))
    problems: list[dict[str, Any]] = []
    chain, dotenv_error = _sources(settings_cls, problems)
    values: Any = None
    load = getattr(module, "load_settings", None)
    try:
        loaded = load() if callable(load) else settings_cls()
    except Exception as exc:  # noqa: BLE001 - each problem is reported, not raised
        # The settings fail on an unreadable .env the way the probe did: reported once, at .env.
        if not _same_error(exc, dotenv_error):
            problems.extend(_problems(exc))
    else:
        values = loaded.model_dump(mode="json")
    merged: dict[str, Any] = {}
    for _, data in reversed(chain):
        merged = _deep_update(merged, data)
    for field in fields:
        path = field.pop("path")
        default = field.pop("default")  # what the field holds when no source sets it
        field["source"] = next((label for label, data in chain if _has(data, path)), None)
        found, value = _get(values if values is not None else merged, path)
        if not found:
            value = default
        if field["secret"]:
            # Validated, a set secret reads "**********"; raw, it is the text itself.
            field["set"] = value not in (None, "")
            field["value"] = None
        else:
            field["set"] = value is not None
            field["value"] = _jsonable(value)
    unique = list({p["message"]: p for p in problems}.values())
    return {
        "fields": fields,
        "sources": [label for label, _ in chain],
        "problems": unique,
    }


def _fields(
    model: Any,
    config: dict[str, Any],
    keys: list[str],
    variables: list[str],
    parent_default: Any,
    secret_fields: set[str],
    secret: re.Pattern[str],
) -> typing.Iterator[dict[str, Any]]:
    prefix = str(config.get("env_prefix") or "")
    delimiter = config.get("env_nested_delimiter") or None
    upper = not config.get("case_sensitive", False)
    for name, info in model.model_fields.items():
        key = info.alias if isinstance(info.alias, str) else name
        default = _default(info, parent_default, name)
        variable = key if keys else f"{prefix}{key}"
        nested = _model_class(info.annotation)
        if nested is not None and delimiter:
            yield from _fields(
                nested,
                config,
                [*keys, key],
                [*variables, variable],
                default,
                secret_fields,
                secret,
            )
            continue
        type_name = _MODULE_PREFIX.sub("", _type_name(info.annotation))
        dotted = ".".join([*keys, key])
        full_variable = (delimiter or "").join([*variables, variable])
        yield {
            "key": dotted,
            "path": [*keys, key],
            "variable": full_variable.upper() if upper else full_variable,
            "type": type_name,
            "secret": (
                any(t in type_name for t in _SECRET_TYPES)
                or (not keys and name in secret_fields)
                or bool(secret.search(dotted))
            ),
            "default": default,
        }


def _default(info: Any, parent_default: Any, name: str) -> Any:
    if parent_default is not None and hasattr(parent_default, name):
        return getattr(parent_default, name)
    if info.is_required():
        return None
    try:
        return info.get_default(call_default_factory=True)
    except TypeError:  # older pydantic: no keyword, or a factory that wants the data
        return None


def _model_class(annotation: Any) -> Any:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
            return candidate
    return None


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _sources(
    settings_cls: Any, problems: list[dict[str, Any]]
) -> tuple[list[tuple[Any, Any]], BaseException | None]:
    """The settings' sources, highest precedence first, each with the values it gives; and
    why .env could not be read, when it could not (reported in `problems` already)."""
    sources = importlib.import_module("pydantic_settings")
    dotenv_error: BaseException | None = None
    try:
        init = sources.InitSettingsSource(settings_cls, init_kwargs={})
        env = sources.EnvSettingsSource(settings_cls)
        # DotEnvSettingsSource reads .env as it is built: a .env that is not valid UTF-8 fails
        # here. That is a problem of .env, reported at .env; an empty stand-in lets the chain
        # be asked which sources it uses.
        try:
            dotenv = sources.DotEnvSettingsSource(settings_cls)
        except Exception as exc:  # noqa: BLE001 - reported below, located at .env
            dotenv_error = exc
            dotenv = sources.DotEnvSettingsSource(settings_cls, env_file=None)
        secrets = sources.SecretsSettingsSource(settings_cls)
        chain = settings_cls.settings_customise_sources(
            settings_cls,
            init_settings=init,
            env_settings=env,
            dotenv_settings=dotenv,
            file_secret_settings=secrets,
        )
    except Exception as exc:  # noqa: BLE001 - a conf file that cannot be read, for one
        problems.append({"key": None, "message": _message(exc, named=False)})
        return [], None
    if dotenv_error is not None:
        # Reported even where the chain leaves .env out (prod): pydantic-settings reads .env
        # whenever the settings are built, so the settings fail there too.
        unused = "" if any(source is dotenv for source in chain) else " (read, though unused)"
        problems.append(
            {
                "key": None,
                "message": f"cannot read it{unused}: {_message(dotenv_error)}",
                "where": _first_path(settings_cls.model_config.get("env_file")) or ".env",
            }
        )
    labelled: list[tuple[Any, Any]] = []
    for source in chain:
        if source is init:
            label: dict[str, Any] = {"kind": "init"}
        elif source is env:
            label = {"kind": "env-var"}
        elif source is dotenv:
            label = {"kind": "dotenv", "path": _first_path(getattr(source, "env_file", None))}
        elif source is secrets:
            label = {"kind": "secrets-dir"}
        elif (path := _first_path(_file_of(source))) is not None:
            label = {"kind": "file", "path": path}
        else:
            label = {"kind": "other", "name": type(source).__name__}
        try:
            data = source()
        except Exception as exc:  # noqa: BLE001 - reported with the others
            problems.append({"key": None, "message": _message(exc, named=False)})
            data = {}
        labelled.append((label, data if isinstance(data, dict) else {}))
    return labelled, dotenv_error


def _file_of(source: Any) -> Any:
    for attribute in ("toml_file_path", "json_file_path", "yaml_file_path", "path"):
        if (value := getattr(source, attribute, None)) is not None:
            return value
    return None


def _first_path(value: Any) -> str | None:
    paths = value if isinstance(value, (list, tuple)) else [value]
    paths = [Path(p) for p in paths if isinstance(p, (str, os.PathLike))]
    existing = [p for p in paths if p.exists()]
    chosen = (existing or paths or [None])[0]
    return str(Path(chosen).resolve()) if chosen is not None else None


def _same_error(exc: BaseException, other: BaseException | None) -> bool:
    """Whether `exc` (or what it was raised from) is the failure `other` reported already."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if (
            other is not None
            and candidate is not None
            and type(candidate) is type(other)
            and str(candidate) == str(other)
        ):
            return True
    return False


def _problems(exc: Exception) -> list[dict[str, Any]]:
    listed = getattr(exc, "problems", None)
    if listed:
        return [{"key": key or None, "message": str(message)} for key, message in listed]
    for candidate in (exc, exc.__context__):
        errors = getattr(candidate, "errors", None)
        if callable(errors):
            try:
                details = errors(include_url=False, include_input=False)
            except TypeError:
                details = errors()
            return [
                {
                    "key": ".".join(str(part) for part in item["loc"]) or None,
                    "message": str(item["msg"]).removeprefix("Value error, "),
                }
                for item in details
            ]
    return [{"key": None, "message": line.strip()} for line in str(exc).splitlines()[:1]]


def _deep_update(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_update(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has(data: Any, path: list[str]) -> bool:
    return _get(data, path)[0]


def _get(data: Any, path: list[str]) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(data, dict):
            return True, data  # a source gave the whole parent (a JSON variable, say)
        lowered = {str(k).lower(): k for k in data}
        if part in data:
            data = data[part]
        elif part.lower() in lowered:
            data = data[lowered[part.lower()]]
        else:
            return False, None
    return True, data


def _jsonable(value: Any) -> Any:
    try:
        core = importlib.import_module("pydantic_core")
        return core.to_jsonable_python(value, fallback=str)
    except Exception:  # noqa: BLE001 - a value that will not convert is shown as text
        return str(value)


if __name__ == "__main__":
    main(sys.argv[1:])
