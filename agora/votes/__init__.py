"""Ranked votes (IRV, STV, Condorcet...) with secret ballots and round-by-round results."""

from agora.votes.views import bp

__all__ = ["bp"]
