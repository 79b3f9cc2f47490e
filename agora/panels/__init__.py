"""Citizens' panels by lot: invitations, respondents, quotas, the public draw, and the panel at work."""

from agora.panels.views import bp

__all__ = ["bp"]
