"""Workspace pages of a panel (members, facilitators, clerks) and its public adopted goals."""

from __future__ import annotations

from flask import Blueprint

from agora.panelwork import services  # noqa: F401

bp = Blueprint("panelwork", __name__, url_prefix="/panels")
