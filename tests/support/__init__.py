"""Test support: real local stand-ins for the outside world (GOPROXY server, forges)."""
