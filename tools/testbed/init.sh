#!/bin/sh
# /init of the ovhkvm test guest (busybox sh, from the initramfs that build-guest.sh makes).
#
# Kernel command line:
#   ovhkvm.mode=console|testcard|scroll|screen   (default console)
#   ovhkvm.keymap=NAME                    a /keymaps/NAME.bmap (default us), console and screen
#
# Screen mode (a VGA text console, or fbcon with vga=...) takes commands on the second serial
# port, ttyS1 (ttyecho serve): SHOW text, DUMP the console's own screen memory, FONT to load a
# console-setup font, LOGIN to start a getty (user root, password in /etc/passwd, made by
# build-guest.sh) on tty1.
#
# The serial port (ttyS0, the kernel's console) carries the protocol with the host:
#   OVHKVM-READY          the guest is ready (console: ready to receive keys)
#   OVHKVM-ERROR: ...     something is wrong; the guest reboots (QEMU -no-reboot exits)
#   KEY xx                console mode: one line per byte that tty1 received
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/ttyS0 >/dev/ttyS0 2>&1

fail() {
    echo "OVHKVM-ERROR: $*"
    sleep 1
    reboot -f
}

MODE=console
KEYMAP=us
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        ovhkvm.mode=*) MODE="${arg#ovhkvm.mode=}" ;;
        ovhkvm.keymap=*) KEYMAP="${arg#ovhkvm.keymap=}" ;;
    esac
done

# From here on, only emergencies reach the serial port, so that nothing cuts a "KEY xx" line.
echo 1 >/proc/sys/kernel/printk
echo "OVHKVM-BOOT mode=$MODE keymap=$KEYMAP kernel=$(uname -r)"

check_fb() {
    [ -e /dev/fb0 ] || fail "no /dev/fb0: boot the kernel with vga=0x392"
    fbsys=/sys/class/graphics/fb0
    fbinfo="name=$(cat $fbsys/name) size=$(cat $fbsys/virtual_size) bpp=$(cat $fbsys/bits_per_pixel) stride=$(cat $fbsys/stride)"
    echo "OVHKVM-FB $fbinfo"
    case "$fbinfo" in
        *" size=1920,1080 bpp=32 stride=7680") ;;
        *) fail "frame buffer is not 1920x1080x32 with stride 7680: $fbinfo" ;;
    esac
}

fbcon_vtcon() {
    for v in /sys/class/vtconsole/vtcon*; do
        if grep -q "frame buffer" "$v/name"; then
            echo "$v"
            return 0
        fi
    done
    return 1
}

case "$MODE" in
    console)
        [ -f "/keymaps/$KEYMAP.bmap" ] || fail "no keymap $KEYMAP; have: $(cd /keymaps && echo *.bmap)"
        loadkmap <"/keymaps/$KEYMAP.bmap" || fail "loadkmap $KEYMAP failed"
        printf '\033%%G\033[0m\033[2J\033[H' >/dev/tty1
        printf '\033[1;37;44m ovhkvm test guest \033[0m\n' >/dev/tty1
        printf '\033[1;32mkeymap %s\033[0m\n' "$KEYMAP" >/dev/tty1
        printf '\033[1;33mevery byte typed here goes to ttyS0 as "KEY xx"\033[0m\n\n' >/dev/tty1
        echo "OVHKVM-KEYMAP $KEYMAP"
        while :; do
            ttyecho /dev/tty1 /dev/ttyS0
            echo "OVHKVM-ERROR: ttyecho exited with status $?"
            sleep 1
        done
        ;;

    testcard)
        check_fb
        # Nothing but the test card may ever draw: no cursor, no blanking, fbcon unbound.
        echo 0 >/sys/class/graphics/fbcon/cursor_blink 2>/dev/null
        printf '\033[?25l\033[2J' >/dev/tty1
        vtcon=$(fbcon_vtcon) || fail "no frame buffer console to unbind"
        echo 0 >"$vtcon/bind" || fail "could not unbind $vtcon"
        cat /testcard.bgrx >/dev/fb0 || fail "could not write the test card"
        echo "OVHKVM-READY"
        while :; do sleep 3600; done
        ;;

    scroll)
        check_fb
        read -r PHOTO_W PHOTO_H </photo.size || fail "no /photo.size"
        # The log scrolls in the upper part of tty1 (a scroll region); the photo lives below it.
        rows=$(stty -F /dev/tty1 size | cut -d' ' -f1)
        log_rows=$((rows - (PHOTO_H + 15) / 16))
        [ "$log_rows" -gt 4 ] || fail "tty1 has only $rows rows"
        printf '\033[0m\033[2J\033[1;%dr\033[H' "$log_rows" >/dev/tty1
        echo "OVHKVM-READY"
        (
            set -- "kernel:" "systemd[1]:" "sshd[812]:" "nginx:" "GET /index.html HTTP/1.1 200" \
                "eth0: link up" "1000Mbps full-duplex" "Started Session 4 of user root." \
                "Accepted publickey for debian from 203.0.113.7 port 52144 ssh2" \
                "EXT4-fs (vda1): mounted filesystem with ordered data mode." \
                "apt-daily.service: Succeeded." "cron[733]: (root) CMD (run-parts /etc/cron.hourly)" \
                "[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.10 PROTO=TCP DPT=23" \
                "postfix/smtpd[1201]: connect from unknown[192.0.2.99]" "warning:" "error:" "OK" \
                "load average: 0.42, 0.37, 0.31" "Mem: 1987MiB" "free 512MiB" "buff/cache" \
                "$(uname -r)" "ovhkvm" "----" "====" ">>>>" "{ json: true }" "0x7f3a9c00" \
                "ERR" "WARN" "INFO" "é à ü ß ø" "│ ├── └──" "\$HOME/.profile"
            n=$#
            while :; do
                read -r up _ </proc/uptime
                c1=$((31 + RANDOM % 7))
                c2=$((90 + RANDOM % 8))
                eval w1=\${$((RANDOM % n + 1))}
                eval w2=\${$((RANDOM % n + 1))}
                eval w3=\${$((RANDOM % n + 1))}
                eval w4=\${$((RANDOM % n + 1))}
                eval w5=\${$((RANDOM % n + 1))}
                pad=$((RANDOM % 60))
                printf '\033[%dm[%12s]\033[0m \033[1;%dm%s\033[0m %s %s \033[%dm%s\033[0m %*s%s %08x\n' \
                    "$c1" "$up" "$c2" "$w1" "$w2" "$w3" "$((c1 + 10))" "$w4" "$pad" "" "$w5" \
                    "$((RANDOM * RANDOM))"
            done >/dev/tty1
        ) &
        k=0
        y=$((1080 - PHOTO_H))
        while :; do
            k=$((k + 1))
            x=$(((k * 337) % (1920 - PHOTO_W)))
            ttyecho blit /photo.bgrx "$PHOTO_W" "$PHOTO_H" "$x" "$y"
            sleep 1
        done
        ;;

    screen)
        [ -f "/keymaps/$KEYMAP.bmap" ] || fail "no keymap $KEYMAP; have: $(cd /keymaps && echo *.bmap)"
        loadkmap <"/keymaps/$KEYMAP.bmap" || fail "loadkmap $KEYMAP failed"
        if [ -e /dev/fb0 ]; then
            echo "OVHKVM-FB size=$(cat /sys/class/graphics/fb0/virtual_size)"
        fi
        hostname ovhkvm
        printf '\033%%G\033[0m\033[2J\033[H' >/dev/tty1
        stty -F /dev/ttyS1 raw -echo 115200 || fail "no second serial port (ttyS1)"
        echo "OVHKVM-READY"
        exec ttyecho serve /dev/tty1 /dev/ttyS1
        ;;

    *)
        fail "unknown ovhkvm.mode=$MODE (console, testcard, scroll, screen)"
        ;;
esac
