"""schemseg training: synthetic schematic sheets, the attention U-Net++, training, evaluation, export.

Importing this package does not import torch; the commands that need it import it lazily.
"""

from __future__ import annotations

__all__: list[str] = []
