"""The panel at work (issue 7, step 7): a members-only workspace with sessions and goals, and the
public page of the goals a panel adopted."""

from agora.panelwork.views import bp

__all__ = ["bp"]
