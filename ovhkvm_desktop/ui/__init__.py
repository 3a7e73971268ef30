"""The Qt user interface: the console window, its dialogs, and the `open` command."""
