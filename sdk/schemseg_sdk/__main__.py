"""``python -m schemseg_sdk ...`` runs the ``schemseg`` command (for machines without the console script)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main(prog_name="schemseg")
