"""Lets `python -m ovhkvm_desktop` run the command line."""

from ovhkvm_desktop.argv_secrets import hide_target_secrets

# Before the command line's imports: a target's secret leaves the arguments at once.
hide_target_secrets()

from ovhkvm_desktop.cli import main  # noqa: E402

raise SystemExit(main())
