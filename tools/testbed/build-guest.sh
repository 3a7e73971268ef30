#!/bin/bash
# Build the ovhkvm test guest from Debian packages: OUTDIR/vmlinuz (the Debian kernel, extracted
# from the package, never installed), OUTDIR/initrd.img (busybox, /init, console keymaps made
# with ckbcomp, the ttyecho helper, the test card and the scroll mode's photo) and
# OUTDIR/grub.iso (GRUB's boot menu, grub-mkrescue with grub.cfg).
#
# Usage: tools/testbed/build-guest.sh [OUTDIR]
#   OUTDIR defaults to $OVHKVM_TESTBED_DIR, else <repo>/.testbed.
#   PYTHON (default <repo>/.venv/bin/python, else python3) draws the test card.
#   Does nothing when OUTDIR is up to date (OUTDIR/stamp holds a hash of every input).
#   Also leaves OUTDIR/keymaps/NAME.kmap (ckbcomp's text keymaps) and NAME.bmap for reference.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
outdir=${1:-${OVHKVM_TESTBED_DIR:-$repo/.testbed}}
python=${PYTHON:-}
if [ -z "$python" ]; then
    if [ -x "$repo/.venv/bin/python" ]; then python=$repo/.venv/bin/python; else python=python3; fi
fi

# The xkb layouts whose console keymaps the guest carries: "layout" or "layout:variant".
# The keymap's name in the guest is "layout" or "layout-variant".
LAYOUTS="us us:intl gb ie fr fr:oss fr:bepo be ch ch:fr de es latam it pt br ca ca:multix
nl pl cz fi se no dk lt"
PHOTO_W=640
PHOTO_H=360
# console-setup fonts the screen mode can load (FONT NAME), from /usr/share/consolefonts.
FONTS="Uni2-VGA16 Lat15-VGA16 Uni2-Fixed16 Lat15-Terminus16 Uni2-TerminusBold16 Uni2-VGA8
Uni2-Terminus32x16"
# The screen mode's login (LOGIN): root's password; tests/testbed.py knows it too.
ROOT_PASSWORD=ovh-rescue-42

die() {
    echo "build-guest: $*" >&2
    exit 1
}

for cmd in apt-get apt-cache dpkg-deb dpkg-query ckbcomp loadkeys gcc cpio gzip flock sha256sum \
    grub-mkrescue xorriso; do
    command -v "$cmd" >/dev/null || die "missing command $cmd: run tools/testbed/install-deps.sh"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "missing busybox (busybox-static): run tools/testbed/install-deps.sh"
if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is not static: install busybox-static (tools/testbed/install-deps.sh)"
fi
"$python" -c 'import numpy' 2>/dev/null || die "$python cannot import numpy (set PYTHON)"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# One build at a time per OUTDIR (several test sessions may start at once).
exec 9>"$outdir/.lock"
flock 9

# The kernel: the concrete package that the linux-image-amd64 metapackage depends on.
meta=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
    sed -n 's/^Depends: \(linux-image-[^ ,]*-amd64\)\( (= \([^)]*\))\)\{0,1\}.*/\1 \3/p' | head -n 1)
kpkg=${meta%% *}
kver=${meta#* }
[ -n "$kpkg" ] || die "apt does not know linux-image-amd64: run apt-get update (tools/testbed/install-deps.sh)"
if [ -z "$kver" ] || [ "$kver" = "$kpkg" ]; then
    kver=$(apt-cache policy "$kpkg" | awk '$1 == "Candidate:" { print $2 }')
fi
if [ -z "$kver" ] || [ "$kver" = "(none)" ]; then die "no candidate version for $kpkg"; fi

pkgver() { dpkg-query -W -f='${Package} ${Version}\n' "$@" 2>/dev/null || true; }

stamp=$(
    {
        echo "kernel $kpkg $kver"
        pkgver busybox-static console-setup console-setup-linux xkb-data kbd gcc libc6-dev
        echo "layouts $LAYOUTS photo ${PHOTO_W}x$PHOTO_H fonts $FONTS"
        "$python" -c 'import numpy, sys; print("numpy", numpy.__version__, sys.version)'
        cat "$here/build-guest.sh" "$here/init.sh" "$here/ttyecho.c" "$repo/tests/e2e/testcard.py"
        cat "$here/grub.cfg"
        pkgver grub-common grub-pc-bin xorriso
    } | sha256sum | cut -d' ' -f1
)

if [ -f "$outdir/stamp" ] && [ "$(cat "$outdir/stamp")" = "$stamp" ] &&
    [ -f "$outdir/vmlinuz" ] && [ -f "$outdir/initrd.img" ] && [ -f "$outdir/grub.iso" ]; then
    echo "build-guest: $outdir is up to date ($kpkg $kver)"
    exit 0
fi

start=$(date +%s)
rm -rf "$outdir"/.build.* # left by a build that was killed (we hold the lock)
work=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the kernel ---------------------------------------------------------------------------------
kcache="$outdir/cache/vmlinuz-$kpkg-$kver"
if [ ! -f "$kcache" ]; then
    echo "build-guest: fetching $kpkg $kver"
    mkdir -p "$work/deb" "$outdir/cache"
    (cd "$work/deb" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$kpkg=$kver") ||
        die "apt-get download $kpkg=$kver failed"
    deb=$(ls "$work"/deb/*.deb)
    mkdir -p "$work/kernel"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/kernel" --wildcards './boot/vmlinuz-*' './boot/config-*'
    vml=$(ls "$work"/kernel/boot/vmlinuz-*)
    cfg=$(ls "$work"/kernel/boot/config-*)
    for opt in CONFIG_FB_VESA CONFIG_FRAMEBUFFER_CONSOLE CONFIG_SERIAL_8250_CONSOLE \
        CONFIG_KEYBOARD_ATKBD CONFIG_DEVTMPFS CONFIG_RD_GZIP CONFIG_VT; do
        grep -qx "$opt=y" "$cfg" || die "$kpkg lacks $opt=y: the guest needs it built in"
    done
    rm -f "$outdir"/cache/vmlinuz-*
    cp "$vml" "$kcache.tmp"
    mv "$kcache.tmp" "$kcache"
    rm -rf "$work/deb" "$work/kernel"
fi

# --- the initramfs ------------------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,keymaps}
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
"$busybox" sh -n "$here/init.sh" || die "init.sh has a syntax error"
install -m 0755 "$here/init.sh" "$root/init"

gcc -static -O2 -Wall -Wextra -Werror -s -o "$root/bin/ttyecho" "$here/ttyecho.c"

# The screen mode's fonts, uncompressed (ttyecho loads them, PSF 1 or 2).
mkdir -p "$root/fonts"
for font in $FONTS; do
    src=/usr/share/consolefonts/$font.psf.gz
    [ -f "$src" ] || die "missing $src (console-setup-linux): run tools/testbed/install-deps.sh"
    gzip -dc "$src" >"$root/fonts/$font.psf"
done

# The screen mode's login: a getty on tty1 (busybox getty, login, sh), user root.
mkdir -p "$root/etc" "$root/root"
hash=$("$busybox" mkpasswd -m sha512 "$ROOT_PASSWORD" ovhkvmsalt) || die "mkpasswd failed"
echo "root:$hash:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
printf 'tty1\n' >"$root/etc/securetty"
printf 'ovhkvm test guest (screen mode)\n\n' >"$root/etc/issue"
printf 'export PS1="root@ovhkvm:~# "\ncd /root\n' >"$root/etc/profile"
cat >"$root/login.sh" <<'LOGIN'
#!/bin/sh
# Started by "ttyecho serve" on LOGIN: a getty on tty1, again after each logout.
while :; do
    printf '\033[0m\033[2J\033[H' >/dev/tty1
    getty 38400 tty1 linux
    sleep 1
done
LOGIN

# Console keymaps, made the way Debian's setupcon makes them (model pc105, backspace = DEL),
# compiled to busybox loadkmap's binary format. Two layouts at a time.
mkdir -p "$work/keymaps"
export work
printf '%s\n' $LAYOUTS | xargs -P 2 -n 1 sh -c '
    spec=$1; layout=${spec%%:*}; variant=; [ "$layout" != "$spec" ] && variant=${spec#*:}
    name=$layout${variant:+-$variant}
    ckbcomp -model pc105 -backspace del -layout "$layout" ${variant:+-variant "$variant"} \
        >"$work/keymaps/$name.kmap" 2>"$work/keymaps/$name.ckbcomp.log" || {
        echo "build-guest: ckbcomp failed for $spec:" >&2; cat "$work/keymaps/$name.ckbcomp.log" >&2
        exit 255; }
    loadkeys -u -b "$work/keymaps/$name.kmap" >"$work/keymaps/$name.bmap" \
        2>"$work/keymaps/$name.loadkeys.log" || {
        echo "build-guest: loadkeys -b failed for $spec:" >&2; cat "$work/keymaps/$name.loadkeys.log" >&2
        exit 255; }
    if [ -s "$work/keymaps/$name.loadkeys.log" ]; then
        echo "build-guest: loadkeys complained about $spec:" >&2; cat "$work/keymaps/$name.loadkeys.log" >&2
        exit 255
    fi
    # Anything but "Unknown X keysym" warnings (keysyms the console has no equivalent for) fails.
    if grep -v "^WARNING: Unknown X keysym" "$work/keymaps/$name.ckbcomp.log" | grep -q .; then
        echo "build-guest: ckbcomp complained about $spec:" >&2; cat "$work/keymaps/$name.ckbcomp.log" >&2
        exit 255
    fi
    size=$(wc -c <"$work/keymaps/$name.bmap")
    magic=$(head -c 7 "$work/keymaps/$name.bmap")
    if [ "$magic" != bkeymap ] || [ "$size" -ne 33031 ]; then
        echo "build-guest: $name.bmap is not a complete binary keymap ($size bytes)" >&2
        exit 255
    fi
' sh || die "a console keymap failed to build (see above)"
for spec in $LAYOUTS; do
    layout=${spec%%:*}
    variant=
    [ "$layout" != "$spec" ] && variant=${spec#*:}
    name=$layout${variant:+-$variant}
    [ -s "$work/keymaps/$name.bmap" ] || die "keymap $name missing"
    cp "$work/keymaps/$name.bmap" "$root/keymaps/"
    if [ -s "$work/keymaps/$name.ckbcomp.log" ]; then
        echo "build-guest: note: $name: $(sort -u "$work/keymaps/$name.ckbcomp.log" | tr '\n' ' ')"
    fi
done

"$python" "$repo/tests/e2e/testcard.py" testcard "$root/testcard.bgrx"
"$python" "$repo/tests/e2e/testcard.py" photo "$root/photo.bgrx" "$PHOTO_W" "$PHOTO_H"
echo "$PHOTO_W $PHOTO_H" >"$root/photo.size"
[ "$(wc -c <"$root/testcard.bgrx")" -eq $((1920 * 1080 * 4)) ] || die "bad test card size"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -6 -n >"$work/initrd.img"

# --- GRUB's boot menu (the grub mode): a BIOS CD image with tools/testbed/grub.cfg ---------------
mkdir -p "$work/grub/boot/grub"
cp "$here/grub.cfg" "$work/grub/boot/grub/grub.cfg"
grub-mkrescue -o "$work/grub.iso" "$work/grub" >"$work/grub-mkrescue.log" 2>&1 || {
    cat "$work/grub-mkrescue.log" >&2
    die "grub-mkrescue failed"
}

# --- install, atomically (a running QEMU keeps its open files) ---------------------------------
rm -rf "$outdir/keymaps.new"
mkdir -p "$outdir/keymaps.new"
cp "$work"/keymaps/*.kmap "$work"/keymaps/*.bmap "$outdir/keymaps.new/"
rm -rf "$outdir/keymaps"
mv "$outdir/keymaps.new" "$outdir/keymaps"
cp "$kcache" "$outdir/vmlinuz.new"
mv "$outdir/vmlinuz.new" "$outdir/vmlinuz"
mv "$work/initrd.img" "$outdir/initrd.img"
mv "$work/grub.iso" "$outdir/grub.iso"
echo "$kpkg $kver" >"$outdir/kernel-version"
echo "$stamp" >"$outdir/stamp"
echo "build-guest: built $outdir (kernel $kpkg $kver, initrd $(du -h "$outdir/initrd.img" | cut -f1), $(($(date +%s) - start)) s)"
