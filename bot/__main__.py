"""Entry point for ``python -m bot``: delegates to :func:`bot.cli.main`."""

from __future__ import annotations

import sys

from bot.cli import main

sys.exit(main())
