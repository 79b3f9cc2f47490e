"""Debates: open discussions with threaded comments and a stance balance."""

from agora.debates.views import bp

__all__ = ["bp"]
