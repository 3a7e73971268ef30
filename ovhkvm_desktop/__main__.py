"""Lets `python -m ovhkvm_desktop` run the command line."""

from ovhkvm_desktop.cli import main

raise SystemExit(main())
