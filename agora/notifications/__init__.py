"""Follows and in-app notifications, shared by every feature."""

from agora.notifications.views import bp

__all__ = ["bp"]
