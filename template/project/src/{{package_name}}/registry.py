"""The model registry: numbered, immutable model versions and the aliases that deploy them.

A folder layout, read and written through fsspec, so the same code works on a local folder (dev,
tests, `nox -s pipeline`) and on an object store in staging and prod (`s3://bucket/models` with
s3fs installed, `gs://` with gcsfs): no server to run, back up or upgrade.

    <registry>/versions/<n>/model.skops   the model file, as trained (signed bytes)
    <registry>/versions/<n>/record.json   its hash and signature, schema, where it came from
                                          (training data hash, code version) and its metrics
    <registry>/aliases/<alias>.json       what `staging` and `prod` serve now (model version,
                                          image digest, commit), and what they served before

Versions are never rewritten. Promotion moves an alias; rollback moves it back to what it
pointed at before. Production only takes what staging has: `promote_from("staging", "prod")`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ALIASES", "Alias", "Promotion", "Registry", "RegistryError", "Version"]

ALIASES = ("staging", "prod")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RegistryError(Exception):
    """The registry cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class Version:
    number: int
    model_sha256: str
    signature: str | None
    schema: Mapping[str, Any]
    trained: Mapping[str, Any]  # training data hash, rows, code version
    evaluation: Mapping[str, Any]  # the metrics record of `evaluate` (see gate.py)
    published_at: str


@dataclass(frozen=True)
class Promotion:
    version: int
    image: str | None = None  # the image digest deployed with it, when CD recorded one
    commit: str | None = None  # the commit that image and model were built from
    promoted_at: str = field(default_factory=_now)


@dataclass(frozen=True)
class Alias:
    name: str
    current: Promotion
    history: tuple[Promotion, ...] = ()  # what it pointed at before, latest first


class Registry:
    def __init__(self, url: str) -> None:
        import fsspec

        self.url = url
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:  # an unknown protocol, or its package missing
            raise RegistryError(f"registry {url}: {exc}") from None
        self._local = "file" in _protocols(self.fs)

    # --- versions ---------------------------------------------------------------------------

    def versions(self) -> list[int]:
        folder = self._path("versions")
        if not self.fs.exists(folder):
            return []
        names = (str(p).rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False))
        return sorted(int(name) for name in names if name.isdigit())

    def version(self, number: int) -> Version:
        document = self._read_json(f"versions/{number}/record.json")
        if document is None:
            known = ", ".join(map(str, self.versions())) or "none yet"
            raise RegistryError(
                f"registry {self.url}: no model version {number} (versions: {known})"
            )
        return Version(**document)

    def model_bytes(self, number: int) -> bytes:
        data: bytes = self.fs.cat_file(self._path(f"versions/{number}/model.skops"))
        return data

    def publish(
        self,
        data: bytes,
        *,
        model_sha256: str,
        signature: str | None,
        schema: Mapping[str, Any],
        trained: Mapping[str, Any],
        evaluation: Mapping[str, Any],
    ) -> Version:
        number = max(self.versions(), default=0) + 1
        if self.fs.exists(self._path(f"versions/{number}")):  # published meanwhile: never overwrite
            raise RegistryError(f"registry {self.url}: version {number} appeared meanwhile; retry")
        version = Version(
            number, model_sha256, signature, dict(schema), dict(trained), dict(evaluation), _now()
        )
        # The model first, the record last: a version without its record is not listed as one
        # by `version()`, so an interrupted publish leaves nothing that looks complete.
        self._write(f"versions/{number}/model.skops", data)
        self._write_json(f"versions/{number}/record.json", asdict(version))
        return version

    # --- aliases ----------------------------------------------------------------------------

    def alias(self, name: str) -> Alias | None:
        _check_alias(name)
        document = self._read_json(f"aliases/{name}.json")
        if document is None:
            return None
        return Alias(
            name,
            Promotion(**document["current"]),
            tuple(Promotion(**p) for p in document["history"]),
        )

    def resolve(self, ref: str) -> int:
        """A version number from `3`, `staging` or `prod`."""
        if ref.isdigit():
            self.version(int(ref))
            return int(ref)
        alias = self.alias(ref)
        if alias is None:
            raise RegistryError(f"registry {self.url}: nothing promoted to {ref} yet")
        return alias.current.version

    def promote(
        self, name: str, version: int, *, image: str | None = None, commit: str | None = None
    ) -> Alias:
        _check_alias(name)
        self.version(version)  # it exists
        before = self.alias(name)
        history = (before.current, *before.history) if before else ()
        alias = Alias(name, Promotion(version, image, commit), history)
        self._save_alias(alias)
        return alias

    def promote_from(self, source: str, target: str, *, expect_commit: str | None = None) -> Alias:
        """Give `target` exactly what `source` runs (model version, image digest, commit)."""
        current = self.alias(source)
        if current is None:
            raise RegistryError(f"nothing runs in {source} yet: promote to {source} first")
        if expect_commit and current.current.commit != expect_commit:
            raise RegistryError(
                f"commit {expect_commit} never reached {source}: {source} runs commit "
                f"{current.current.commit or 'unknown'} (model version "
                f"{current.current.version}); deploy this commit to {source} first"
            )
        ran = current.current
        return self.promote(target, ran.version, image=ran.image, commit=ran.commit)

    def rollback(self, name: str) -> Alias:
        alias = self.alias(name)
        if alias is None or not alias.history:
            raise RegistryError(f"{name} has no earlier promotion to roll back to")
        previous, *older = alias.history
        rolled = Alias(
            name, Promotion(previous.version, previous.image, previous.commit), tuple(older)
        )
        self._save_alias(rolled)
        return rolled

    # --- storage ----------------------------------------------------------------------------

    def _path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    def _save_alias(self, alias: Alias) -> None:
        self._write_json(
            f"aliases/{alias.name}.json",
            {
                "current": asdict(alias.current),
                "history": [asdict(p) for p in alias.history],
            },
        )

    def _read_json(self, relative: str) -> dict[str, Any] | None:
        path = self._path(relative)
        try:
            document = json.loads(self.fs.cat_file(path))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise RegistryError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(document, dict):
            raise RegistryError(f"{path}: expected a JSON object")
        return document

    def _write_json(self, relative: str, document: Mapping[str, Any]) -> None:
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        self._write(relative, text.encode())

    def _write(self, relative: str, data: bytes) -> None:
        path = self._path(relative)
        if not self._local:
            self.fs.pipe_file(path, data)  # one object: stores make it whole or nothing
            return
        # A local folder: write beside, then rename, so a reader never sees half a file.
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        self.fs.pipe_file(temporary, data)
        Path(temporary).replace(path)


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _check_alias(name: str) -> None:
    if name not in ALIASES:
        raise RegistryError(f"unknown alias {name!r}: use one of {', '.join(ALIASES)}")
