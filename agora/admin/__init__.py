"""Administration: users and roles, the audit log."""

from agora.admin.views import bp

__all__ = ["bp"]
