"""gomodbot: keeps Go modules current.

The package owns nothing but its version; each concern lives in a module named after it
(``semver``, ``modpath``, ``modfile``, ``goproxy``, ...). See README.md for the map.
"""

from __future__ import annotations

__version__ = "0.1.0"
