"""WSGI entry for bench/web.py: Agora, plus a minimal Flask page at /__minimal/ as the server's ceiling."""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from agora import create_app

minimal = Flask("minimal")


@minimal.route("/")
def hello():
    return "<!doctype html><title>ok</title><p>ok</p>"


agora_app = create_app()
application = DispatcherMiddleware(agora_app, {"/__minimal": minimal})
