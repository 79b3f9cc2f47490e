"""Comment threads shared by proposals and debates."""

from agora.comments.views import bp

__all__ = ["bp"]
