"""Who started a run and from where: every stored run carries its owner, so each user sees their own.

A browser's owner id comes from the dashboard (a random id its cookie keeps); runs from the command
line belong to the operating-system user who ran them. Names are what run tables show.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass

ORIGINS = ("dashboard", "cli", "sweep", "ray")


@dataclass(frozen=True)
class Owner:
    id: str = ""  # "" when unknown (runs recorded before owners existed)
    name: str = ""
    origin: str = ""  # one of ORIGINS, or "" when unknown

    def as_origin(self, origin: str) -> Owner:
        return Owner(self.id, self.name, origin)


def command_line_owner(origin: str = "cli") -> Owner:
    """The operating-system user, for runs started with `python -m protscope ...`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        user = "unknown"
    return Owner(f"cli:{user}", f"{user} (command line)", origin)
