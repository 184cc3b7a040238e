"""``ruimtepuzzel serve``: check the options, build the app and run it on uvicorn."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Callable, Optional

from ruimtepuzzel.model.errors import InputError

DEFAULT_DB = "tables.sqlite"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and a name that resolves only to those (``localhost``)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def prepare_app(folder, scenario: Optional[str], host: str, db: Optional[Path], parties_file: Optional[Path]):
    """The app, the database path and the parties; an InputError for a refused option (nothing started)."""
    from ruimtepuzzel.model.inputs.instance import load_instance
    from ruimtepuzzel.web.parties import read_parties

    if parties_file is None and not is_loopback(host):
        raise InputError(f"--host {host}: without --parties the table has no tokens, so it binds only to a loopback "
                         "address (127.0.0.1, ::1 or localhost); give --parties FILE to open it to others")
    db = Path(db) if db is not None else Path(DEFAULT_DB)
    if db.exists() and db.is_dir():
        raise InputError(f"--db {db}: is a folder; give a file")
    parties = None
    if parties_file is not None:
        instance = load_instance(folder, scenario)
        codes = {str(c) for level in instance.levels for c in instance.region_codes(level)}
        parties = read_parties(parties_file, codes)
    from ruimtepuzzel.web.app import create_app

    return create_app(folder, scenario, db, parties), db.resolve(), parties


def serve(folder, scenario: Optional[str] = None, host: str = "127.0.0.1", port: int = 8000, db: Optional[Path] = None,
          parties_file: Optional[Path] = None, say: Callable[[str], None] = print) -> None:
    """Run the table until interrupted."""
    import uvicorn

    app, db_path, parties = prepare_app(folder, scenario, host, db, parties_file)
    shown = f"[{host}]" if ":" in host else host
    say(f"table on {Path(folder).name}{' + ' + scenario if scenario else ''}: http://{shown}:{port}/")
    say(f"database: {db_path}")
    if parties:
        say(f"parties: {', '.join(p.name + (' (chair)' if p.is_chair else '') for p in parties)}; "
            "each opens the page as http://HOST:PORT/?token=THEIR_TOKEN")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="auto")
