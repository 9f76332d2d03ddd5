"""Member commands, one module per command or flow.

The import order below is the routing order: the first matching route wins.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    # Imported for their @router registrations; order matters.
    from handlers import pump  # noqa: F401  (before follow: a pump scan may be a subscribe)
    from handlers import follow, help  # noqa: F401
