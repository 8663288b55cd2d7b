"""renshe: human-resources and social-security (人社) digital public services."""

__version__ = "0.1.0"
