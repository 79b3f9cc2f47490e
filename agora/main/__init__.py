"""Home page and site-wide actions (language)."""

from agora.main.views import bp

__all__ = ["bp"]
