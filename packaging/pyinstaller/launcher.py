"""The bundle's entry point: the command line, as the `ovhkvm-desktop` script of a wheel."""

import sys

from ovhkvm_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
