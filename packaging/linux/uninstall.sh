#!/bin/sh
# Take away what install.sh put in your home: the app, its command, desktop entries, icons and
# AppStream file. --quiet: say nothing (install.sh uses it before an update).
set -eu

lib=$HOME/.local/lib/ovhkvm-desktop
data=${XDG_DATA_HOME:-$HOME/.local/share}
quiet=0
[ "${1:-}" = --quiet ] && quiet=1

if [ ! -f "$lib/installed-files" ]; then
    [ "$quiet" = 1 ] || echo "uninstall.sh: ovhkvm-desktop is not installed in $lib" >&2
    exit 1
fi
while IFS= read -r path; do
    if [ -L "$path" ] || [ -f "$path" ]; then
        rm -f "$path"
    fi
done <"$lib/installed-files"
rm -rf "$lib"
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$data/applications" ]; then
    update-desktop-database -q "$data/applications" || true
fi
[ "$quiet" = 1 ] || echo "ovhkvm-desktop is uninstalled"
