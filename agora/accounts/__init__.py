"""Accounts: registration, login, passwords, language and account deletion."""

from agora.accounts.views import bp

__all__ = ["bp"]
