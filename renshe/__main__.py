"""`python -m renshe` runs the `renshe` command."""

from renshe.cli import main

main()
