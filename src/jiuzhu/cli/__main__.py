"""``python -m jiuzhu.cli``: the ``jiuzhu`` program."""

from . import main

if __name__ == "__main__":  # not when merely imported (a test imports every module)
    main()
