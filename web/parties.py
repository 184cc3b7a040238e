"""The parties at a table: who they are, their tokens and regions, and what each may do.

A parties file (YAML) holds a ``parties`` list::

    parties:
      - {name: Rijk, token: s3cret-rijk, regions: all, role: chair}
      - {name: Utrecht, token: s3cret-utrecht, regions: [PV26]}      # role: party by default

``regions``: region codes of any of the instance's levels, or ``all``. Names and tokens are
unique; a token has at least 8 characters. Without a parties file the table has one local
chair and no tokens.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ruimtepuzzel.model.errors import InputError

ROLES = ("party", "chair")
MIN_TOKEN = 8
FLOOR_CEILING_KEYS = ("min_ha", "max_ha", "min", "max")


@dataclass(frozen=True)
class Party:
    name: str
    role: str
    regions: Union[str, frozenset]  # "all" or region codes
    token: Optional[str] = None

    @property
    def is_chair(self) -> bool:
        return self.role == "chair"

    def holds(self, code) -> bool:
        return self.regions == "all" or (code is not None and str(code) in self.regions)

    def public(self) -> dict:
        return {"name": self.name, "role": self.role, "regions": "all" if self.regions == "all" else sorted(self.regions)}


LOCAL_CHAIR = Party("chair", "chair", "all")


def read_parties(path, known_codes: set) -> list[Party]:
    """The parties of ``path``; an InputError naming the file, the entry and the value when wrong."""
    from ruimtepuzzel.model.inputs.config import read_yaml

    data = read_yaml(Path(path), by_spelling=True)  # codes keep their spelling (0363 stays "0363")
    raw = data.get("parties")
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{path}: parties: expected a non-empty list of {{name, token, regions, role}}")
    parties, names, tokens = [], set(), set()
    for i, entry in enumerate(raw):
        where = f"{path}: parties[{i}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping {{name, token, regions, role}} (got {entry!r})")
        unknown = sorted(set(entry) - {"name", "token", "regions", "role"})
        if unknown:
            raise InputError(f"{where}: unknown key(s) {unknown}")
        name, token = str(entry.get("name") or "").strip(), entry.get("token")
        role = str(entry.get("role", "party"))
        if not name:
            raise InputError(f"{where}: name is missing")
        if not isinstance(token, str) or len(token) < MIN_TOKEN:
            raise InputError(f"{where} ({name}): token must be a string of at least {MIN_TOKEN} characters")
        if role not in ROLES:
            raise InputError(f"{where} ({name}): role {role!r} is not one of {list(ROLES)}")
        if name in names:
            raise InputError(f"{where}: name {name!r} is given twice")
        if token in tokens:
            raise InputError(f"{where} ({name}): the token is the same as another party's")
        regions = entry.get("regions", "all" if role == "chair" else None)
        if regions == "all":
            held: Union[str, frozenset] = "all"
        elif isinstance(regions, list) and regions:
            codes = [str(c) for c in regions]
            bad = [c for c in codes if c not in known_codes]
            if bad:
                raise InputError(f"{where} ({name}): regions {bad} are not region codes of the instance")
            held = frozenset(codes)
        else:
            raise InputError(f"{where} ({name}): regions must be a list of region codes or 'all' (got {regions!r})")
        names.add(name)
        tokens.add(token)
        parties.append(Party(name, role, held, token))
    return parties


def by_token(parties: list[Party], token: Optional[str]) -> Optional[Party]:
    """The party holding ``token`` (compared in constant time), or None."""
    if not token:
        return None
    found = None
    for p in parties:
        if hmac.compare_digest(p.token.encode(), token.encode()):
            found = p
    return found
