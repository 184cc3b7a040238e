"""The negotiation table (``ruimtepuzzel serve``): an ASGI app, a solver process and a SQLite store.

Needs the ``web`` extra (Starlette, uvicorn). See ``web/PROTOCOL.md`` for the API.
"""
