"""The pieces: where a TOML key is written, located TOML errors, what looks like a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsprod._toml import key_lines, line_of, load_toml
from dsprod.envs._secrets import looks_secret, redact, secret_name
from dsprod.envs.show import ResolvedValue, _json_value
from dsprod.errors import ConfigError


def test_key_lines_follow_tables_dotted_and_quoted_keys() -> None:
    text = (
        "a = 1\n"  # 1
        'b = """\n'  # 2: a multi-line string: its lines are not keys
        "c = 3\n"  # 3
        '"""\n'  # 4
        "[gate]\n"  # 5
        "tolerance = 0.1  # why\n"  # 6
        "service.port = 80\n"  # 7
        "\"quoted key\" = 'x'\n"  # 8
        "[[jobs]]\n"  # 9
        "name = 'j'\n"  # 10
        "inline = { x = 1 }\n"  # 11
    )
    lines = key_lines(text)
    assert lines["a"] == 1
    assert lines["b"] == 2
    assert "c" not in lines
    assert lines["gate"] == 5
    assert lines["gate.tolerance"] == 6
    assert lines["gate.service.port"] == 7
    assert lines["gate.quoted key"] == 8
    assert lines["jobs.name"] == 10
    assert line_of(lines, "jobs.inline.x") == 11  # through its parent
    assert line_of(lines, "nowhere") is None


def test_load_toml_locates_errors(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "x.toml"
    path.parent.mkdir()
    path.write_text("ok = 1\nbad = \n")
    with pytest.raises(ConfigError) as caught:
        load_toml(path, tmp_path)
    assert caught.value.message == "conf/x.toml:2: not valid TOML: Invalid value"
    assert caught.value.hint == "fix line 2 of conf/x.toml, then run the command again"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match=r"conf/x.toml: cannot read it"):
        load_toml(path, tmp_path)


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("password", "hunter2", True),
        ("db_password", "x", True),
        ("database.password", "x", True),
        ("api_key", "x", True),
        ("auth_token", "x", True),
        ("client_secret", "x", True),
        ("model_signing_key", "x", True),
        ("password", "", False),  # documenting the key with an empty value is fine
        ("max_tokens", "100", False),
        ("tokenizer", "bert", False),
        ("log_level", "INFO", False),
        ("url", "postgres://me:pw@db/x", True),  # a password inside a URL
        ("url", "redis://:hunter2@cache:6379/0", True),  # a password without a user
        ("url", "https://example.com/x", False),
        ("key", "-----BEGIN RSA PRIVATE KEY-----", True),
        ("aws", "AKIAABCDEFGHIJKLMNOP", True),
        ("threshold", 0.5, False),
    ],
)
def test_looks_secret(name: str, value: object, secret: bool) -> None:
    assert looks_secret(name, value) is secret


def test_secret_names_and_redaction() -> None:
    assert secret_name("MODEL_SIGNING_KEY")
    assert not secret_name("GATE__TOLERANCE")
    assert redact("postgres://me:pw@db:5432/x") == "postgres://me:********@db:5432/x"
    assert redact("no url here") == "no url here"
    assert redact("redis://:hunter2@cache:6379/0") == "redis://:********@cache:6379/0"
    assert redact("https://example.com:8080/x@y") == "https://example.com:8080/x@y"


def test_json_values_are_redacted_in_lists_and_dicts() -> None:
    value = ResolvedValue(
        key="dbs",
        variable="DBS",
        type="dict",
        secret=False,
        set=True,
        value={"main": ["postgres://me:pw@db/x", 3], "cache": {"url": "redis://:pw@c/0"}},
        source="env-var",
        where="$DBS",
    )
    assert _json_value(value) == {
        "main": ["postgres://me:********@db/x", 3],
        "cache": {"url": "redis://:********@c/0"},
    }
