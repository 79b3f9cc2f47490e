"""Moderation: flags, the queue, hiding, locking and blocking, all audited."""

from agora.moderation.views import bp

__all__ = ["bp"]
