"""``python -m jtbd``: the same as the ``jtbd`` command."""

from jtbd.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
