"""Budget pages."""

from flask import Blueprint

from agora.budgets import services  # noqa: F401

bp = Blueprint("budgets", __name__, url_prefix="/budgets")
