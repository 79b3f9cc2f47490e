"""Civic commitments: residents and organisations commit publicly to shared goals and share progress."""

from agora.commitments.views import bp

__all__ = ["bp"]
