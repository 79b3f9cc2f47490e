"""Participatory budgets: processes in phases, headings, projects, supports, secret ballots, results."""

from agora.budgets.views import bp

__all__ = ["bp"]
