"""`python -m nbkit` is the same as the `nbkit` command."""

from nbkit.cli import console

raise SystemExit(console())
