"""What looks like a secret, and how a value is shown without giving one away."""

from __future__ import annotations

import re

__all__ = ["MASK", "SENSITIVE_NAME", "looks_secret", "redact", "secret_name"]

# A key or variable that names a secret: `password`, `db_password`, `api_key`, `auth_token`,
# `model_signing_key`. Whole words between `_`, `-` or `.`, so `max_tokens` and
# `tokenizer` are not secrets. The project's interpreter gets this pattern too (as text), so
# both sides mask the same fields.
SENSITIVE_NAME = (
    r"(?i)(?:^|[_.-])(?:password|passwd|pwd|passphrase|secret|token|credentials?"
    r"|(?:api|private|access|secret|signing|encryption|master|client)[_-]?key|apikey"
    r"|client[_-]?secret)(?:$|[_.-])"
)
_SECRET_NAME = re.compile(SENSITIVE_NAME)
# Values that are secrets whatever they are called.
_SECRET_VALUES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # a PEM private key
    r"|\bAKIA[0-9A-Z]{16}\b"  # an AWS access key id
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"  # a GitHub token
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # a Slack token
    r"|\b[rs]k_live_[A-Za-z0-9]{16,}"  # a Stripe live key
    # A password inside a URL; the user may be empty (redis://:hunter2@cache:6379/0).
    r"|://[^/\s:@]*:[^/\s@]+@"
)
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*:)([^/\s@]+)(@)")
MASK = "********"


def secret_name(name: str) -> bool:
    """Whether a key or variable name says it holds a secret."""
    return bool(_SECRET_NAME.search(name))


def looks_secret(name: str, value: object) -> bool:
    """Whether a committed `name = value` looks like a secret: a non-empty string under a
    secret's name, or a value that has a secret's shape (a private key, a token, a URL with a
    password)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return secret_name(name) or bool(_SECRET_VALUES.search(value))


def redact(text: str) -> str:
    """`text` with any password inside a URL masked (postgres://me:****@db/x)."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)
