"""``python -m teplo`` runs the CLI."""

from teplo.cli import main

main()
