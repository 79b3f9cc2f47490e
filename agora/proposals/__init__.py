"""Proposals: residents propose and support; enough supports make a proposal successful."""

from agora.proposals.views import bp

__all__ = ["bp"]
