#!/bin/sh
# Install the Debian packages that the real-server test bed needs (QEMU, the guest's build tools,
# websockify; X servers, xdotool and the libraries of Qt's xcb plugin for the window's tests;
# gnome-keyring and D-Bus for the Secret Service test; gcc, zlib's and libjpeg's headers for the compiled
# decoders). Idempotent: installs only what is
# missing, and runs `apt-get update` only when the package lists are absent or do not know a
# needed package.
#
# As root: installs. As another user: reports what is missing and exits non-zero.
# Usage: tools/testbed/install-deps.sh [--check]   (--check: never install, only report)
set -eu

PACKAGES="
qemu-system-x86
seabios
busybox-static
websockify
console-setup
console-setup-linux
grub-common
grub-pc-bin
xorriso
mtools
kbd
xkb-data
cpio
gzip
gcc
libc6-dev
zlib1g-dev
libjpeg-dev
util-linux
libxkbcommon-dev
libx11-data
qemu-system-data
gnome-keyring
dbus-daemon
xvfb
tigervnc-standalone-server
xdotool
desktop-file-utils
appstream
binutils
libglib2.0-bin
x11-xkb-utils
x11-xserver-utils
x11-utils
libegl1
libgl1
libfontconfig1
libdbus-1-3
libxkbcommon-x11-0
libxcb-cursor0
libxcb-icccm4
libxcb-image0
libxcb-keysyms1
libxcb-randr0
libxcb-render-util0
libxcb-shape0
libxcb-xinerama0
libxcb-xkb1
libxcb-xfixes0
fonts-dejavu-core
"
# The guest's kernel is not installed: build-guest.sh fetches it with `apt-get download`, which
# needs this package to be known to apt (its lists), not installed.
KERNEL_META=linux-image-amd64

check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing_packages() {
    for p in $PACKAGES; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$status" = installed ] || printf '%s\n' "$p"
    done
}

lists_know_kernel() {
    apt-cache show "$KERNEL_META" >/dev/null 2>&1
}

missing=$(missing_packages)

if [ -z "$missing" ] && lists_know_kernel; then
    echo "install-deps: everything the test bed needs is installed"
    exit 0
fi

if [ "$(id -u)" != 0 ] || [ "$check_only" = 1 ]; then
    if [ -n "$missing" ]; then
        echo "install-deps: missing Debian packages:" $missing >&2
        echo "install-deps: as root: apt-get install -y --no-install-recommends" $missing >&2
    fi
    if ! lists_know_kernel; then
        echo "install-deps: apt does not know $KERNEL_META (the guest's kernel); run apt-get update as root" >&2
    fi
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

updated=0
if ! lists_know_kernel; then
    apt-get update
    updated=1
fi

if [ -n "$missing" ]; then
    echo "install-deps: installing:" $missing
    # shellcheck disable=SC2086
    if ! apt-get install -y --no-install-recommends $missing; then
        [ "$updated" = 1 ] && exit 1
        apt-get update
        # shellcheck disable=SC2086
        apt-get install -y --no-install-recommends $missing
    fi
fi

missing=$(missing_packages)
if [ -n "$missing" ]; then
    echo "install-deps: still missing after installation:" $missing >&2
    exit 1
fi
if ! lists_know_kernel; then
    echo "install-deps: apt still does not know $KERNEL_META" >&2
    exit 1
fi
echo "install-deps: done"
