"""Web pages of the panels feature."""

from __future__ import annotations

from flask import Blueprint

from agora.panels import models  # noqa: F401  (registers the tables)

bp = Blueprint("panels", __name__, url_prefix="/panels")
