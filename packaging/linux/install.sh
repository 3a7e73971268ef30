#!/bin/sh
# Install ovhkvm-desktop for you alone, without root: the app in ~/.local/lib/ovhkvm-desktop, the
# command ~/.local/bin/ovhkvm-desktop, and under ~/.local/share the desktop entries (the app in
# the application menu, and the handler of vnc:// links), the icons and the AppStream file.
# Run it from the unpacked bundle; run it again to update. ~/.local/lib/ovhkvm-desktop/uninstall.sh
# (or this folder's uninstall.sh) takes everything away again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
app_id=io.github.ovhkvm_desktop.OvhkvmDesktop
data=${XDG_DATA_HOME:-$HOME/.local/share}
lib=$HOME/.local/lib/ovhkvm-desktop
bin=$HOME/.local/bin
program=$lib/ovhkvm-desktop/ovhkvm-desktop

case $program in
*"
"* | *"	"* | *=*)
    echo "install.sh: $lib cannot be written in a desktop entry (a newline, tab or '='): set HOME" >&2
    exit 2
    ;;
esac

# The program as a desktop entry's Exec key holds it (Desktop Entry Specification): in double
# quotes with \ " ` $ escaped, % doubled, then the string escape that doubles every backslash.
exec_program=$(printf '%s' "$program" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g' -e 's/\\/\\\\/g')
exec_program="\"$exec_program\""

if [ -x "$lib/uninstall.sh" ]; then
    "$lib/uninstall.sh" --quiet  # an earlier version: its files go first
fi
mkdir -p "$lib" "$bin" "$data/applications" "$data/metainfo"
cp -R "$here/ovhkvm-desktop" "$lib/"
cp "$here/uninstall.sh" "$lib/uninstall.sh"
manifest=$lib/installed-files
: >"$manifest"

ln -sfn "$program" "$bin/ovhkvm-desktop"
echo "$bin/ovhkvm-desktop" >>"$manifest"

for entry in "$here"/share/applications/*.desktop; do
    target=$data/applications/$(basename "$entry")
    EXEC_PROGRAM=$exec_program awk '
        index($0, "Exec=ovhkvm-desktop") == 1 { print "Exec=" ENVIRON["EXEC_PROGRAM"] substr($0, 20); next }
        { print }' "$entry" >"$target"
    echo "$target" >>"$manifest"
done
for icon in "$here"/share/icons/hicolor/*/apps/"$app_id".png; do
    size=$(basename "$(dirname "$(dirname "$icon")")")
    mkdir -p "$data/icons/hicolor/$size/apps"
    cp "$icon" "$data/icons/hicolor/$size/apps/"
    echo "$data/icons/hicolor/$size/apps/$app_id.png" >>"$manifest"
done
cp "$here/share/metainfo/$app_id.metainfo.xml" "$data/metainfo/"
echo "$data/metainfo/$app_id.metainfo.xml" >>"$manifest"

# Tell the desktop (menus, the vnc:// handler, the icons) when its tools are there.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
fi

echo "ovhkvm-desktop is installed: start it from your application menu, or run ovhkvm-desktop"
case ":$PATH:" in
*":$bin:"*) ;;
*) echo "($bin is not on your PATH: the command is $bin/ovhkvm-desktop)" ;;
esac
