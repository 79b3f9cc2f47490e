"""Census register and residency verification; defines the city's districts."""

from agora.census.views import bp

__all__ = ["bp"]
