"""Definitions that move together or not at all.

Two kinds: the versions of an evolving name (`_versions`: one left behind would leave a later
run a notebook it reads differently), and functions that share a variable only they use
(`_shared`: one left behind would use the notebook's variable, the others the module's).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from dsprod.notebook._versions import Version

__all__ = ["left_behind", "together"]


def together(
    name: str, shared: Mapping[str, frozenset[str]], version_of: Mapping[str, Version]
) -> set[str]:
    """The definitions that move with `name` (the versions of a name by their module names)."""
    found = {u for users in shared.values() if name in users for u in users}
    if name in version_of:
        base = version_of[name].base
        found |= {n for n, v in version_of.items() if v.base == base}
    return found - {name}


def left_behind(
    movable: Collection[str],
    staying: Mapping[str, str],
    shared: Mapping[str, frozenset[str]],
    version_of: Mapping[str, Version],
) -> dict[str, str]:
    """The `movable` definitions that stay because one of their group does (`staying`: each
    name that stays, with why, or '' when it is kept on purpose), with the reason."""
    found: dict[str, str] = {}
    for variable, users in sorted(shared.items()):
        left = sorted(u for u in users if u in staying)
        for name in sorted(users - set(left)):
            if left and name in movable:
                why = staying[left[0]]
                found.setdefault(
                    name,
                    f"shares the notebook variable `{variable}` (set through `global`) with "
                    f"`{left[0]}`, which stays in the notebook"
                    + (f" ({left[0]} {why})" if why else ""),
                )
    for name, version in version_of.items():
        other = next(
            (staying[n] for n, v in version_of.items() if v.base == version.base and n in staying),
            None,
        )
        if other is not None and name in movable:
            found.setdefault(name, other)
    return found
