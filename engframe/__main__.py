"""``python -m engframe``: the same as the ``engframe`` command."""

from engframe.cli import console

if __name__ == "__main__":
    raise SystemExit(console())
