"""`dsprod env check`: is an environment's configuration complete, valid and safe to commit?

- the project's own settings load it (every required value present, every value of its type),
  run in the project's interpreter;
- no conf/*.toml holds a secret-looking value (conf/ is committed; secrets come from the
  environment);
- `.env` is not tracked by git;
- `.env.example` documents every variable the settings read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dsprod._git import run_git
from dsprod._problem import Problem
from dsprod._project import Project, require_project
from dsprod._toml import key_lines, leaves, line_of, load_toml
from dsprod.envs._project import get_environment
from dsprod.envs._secrets import looks_secret
from dsprod.envs.show import Resolution, ResolvedValue, resolve

__all__ = ["EnvCheck", "check_environment", "check_resolution"]

EXAMPLE = ".env.example"


@dataclass(frozen=True)
class EnvCheck:
    resolution: Resolution
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_environment(
    name: str, *, start: Path | None = None, python: str | Path | None = None
) -> EnvCheck:
    """Check environment `name` of the project at or above `start`; the settings run in
    `python` (default: the project's .venv)."""
    project = require_project(start)
    env = get_environment(project, name)
    # Every conf file, not only the two this environment reads: a secret committed in any of
    # them is a leak, and a broken one stops with its file:line.
    conf_files = sorted(project.conf_dir.glob("*.toml"))
    parsed = {path: load_toml(path, project.root) for path in conf_files if path.is_file()}
    return check_resolution(resolve(project, env, python), parsed)


def check_resolution(resolution: Resolution, parsed: dict[Path, dict[str, object]]) -> EnvCheck:
    project = resolution.project
    secrets = _committed_secrets(project, parsed, resolution.values)
    settings = [p for p in resolution.problems if not _same_secret(p, secrets)]
    problems = [
        *settings,
        *secrets,
        *_tracked_dotenv(project),
        *_undocumented(project, resolution.values),
    ]
    return EnvCheck(resolution, tuple(problems))


def _committed_secrets(
    project: Project, parsed: dict[Path, dict[str, object]], values: tuple[ResolvedValue, ...]
) -> list[Problem]:
    by_key = {value.key: value for value in values}
    found = []
    for path, data in parsed.items():
        lines: dict[str, int] | None = None
        for key, value in leaves(data):
            known = by_key.get(key)
            declared = known is not None and known.secret and value not in ("", None)
            if not (declared or any(looks_secret(k, v) for k, v in _scalars(key, value))):
                continue
            if lines is None:
                lines = key_lines(path.read_text(encoding="utf-8"))
            line = line_of(lines, key)
            where = project.relative(path) + (f":{line}" if line else "")
            variable = known.variable if known else key.upper().replace(".", "__")
            found.append(
                Problem(
                    where,
                    f"{key} looks like a secret, committed in a conf file (conf/ holds "
                    "constants; secrets come from the environment only)",
                    f"remove it, set {variable} in the environment (.env in dev), and "
                    "change the secret if it was ever pushed",
                )
            )
    return found


def _scalars(key: str, value: object) -> Iterator[tuple[str, object]]:
    """Every scalar inside a leaf of a conf file, with its dotted key: a list (of URLs, say)
    or an array of tables hides values that are as committed as any other."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from _scalars(f"{key}.{name}", item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _scalars(key, item)
    else:
        yield key, value


def _same_secret(problem: Problem, secrets: list[Problem]) -> bool:
    """Whether a settings problem is the refusal of a secret that the scan reports already
    (the generated settings refuse a secret field found in a conf file)."""
    for secret in secrets:
        file = secret.where.split(":")[0]
        key = secret.message.split(" ")[0]
        if file in problem.message and re.search(rf"\b{re.escape(key)}\b", problem.message):
            return True
    return False


def _tracked_dotenv(project: Project) -> list[Problem]:
    done = run_git("ls-files", "-z", "--", ".env", cwd=project.root)
    if done is None or done.returncode != 0 or not done.stdout.strip("\0"):
        # No git (`dsprod doctor` says so), not a git repository, or .env not tracked.
        return []
    return [
        Problem(
            ".env",
            "tracked by git: it holds local values and secrets, which must not be committed",
            "git rm --cached .env  (.gitignore lists .env; change any secret it held)",
        )
    ]


def _undocumented(project: Project, values: tuple[ResolvedValue, ...]) -> list[Problem]:
    example = project.root / EXAMPLE
    try:
        text = example.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [
            Problem(
                EXAMPLE,
                "missing: it documents every variable the settings read",
                f"create it with a line per variable (dsprod env show dev lists them): "
                f"{', '.join(v.variable for v in values[:3])}, ...",
            )
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(EXAMPLE, f"cannot read it: {exc}", f"make {EXAMPLE} readable UTF-8")]
    return [
        Problem(
            EXAMPLE,
            f"{value.variable} ({value.key}) is read by the settings but not documented",
            f"add a line `# {value.variable}=...` to {EXAMPLE}",
        )
        for value in values
        # Anywhere in the file, a comment included: `APP_ENV` is documented in prose.
        if not re.search(rf"(?<![A-Za-z0-9_]){re.escape(value.variable)}(?![A-Za-z0-9_])", text)
    ]
