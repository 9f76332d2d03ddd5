"""The outbound WeChat API client (placeholder until the client lands)."""
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    pass


def get_client():
    raise NotImplementedError
