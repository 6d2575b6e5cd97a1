"""The `newscrawl` commands, one module each (newscrawl/tools/cli.py puts them together)."""
