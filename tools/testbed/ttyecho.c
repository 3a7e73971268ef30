/*
 * ttyecho: the ovhkvm test guest's helper (built with gcc -static, runs from the initramfs).
 *
 *   ttyecho [TTY [SERIAL]]      (defaults /dev/tty1, /dev/ttyS0)
 *       Puts TTY in raw mode with a UTF-8 keyboard, prints OVHKVM-READY on SERIAL, then for every
 *       byte read from TTY writes a line "KEY xx" (two lower-case hex digits) to SERIAL, and
 *       shows the received characters on TTY (controls in caret notation, Enter as a new line).
 *
 *   ttyecho blit FILE WIDTH HEIGHT X Y [FB]   (default FB /dev/fb0)
 *       Copies a raw 32-bit image (WIDTH x HEIGHT pixels, 4 bytes each, rows packed) into the
 *       frame buffer at (X, Y), clipped to the visible screen.
 *
 * Part of ovhkvm-desktop's test bed (tools/testbed); GPL-3.0-or-later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "ttyecho: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        buf += n;
        len -= (size_t)n;
    }
}

static _Noreturn void echo_keys(const char *tty_path, const char *serial_path)
{
    int tty = open(tty_path, O_RDWR | O_NOCTTY);
    if (tty < 0)
        die(tty_path);
    int ser = open(serial_path, O_WRONLY | O_NOCTTY);
    if (ser < 0)
        die(serial_path);

    /* The serial side: keep output processing (\n -> \r\n), nothing else matters to QEMU. */
    struct termios st;
    if (tcgetattr(ser, &st) == 0) {
        cfsetospeed(&st, B115200);
        cfsetispeed(&st, B115200);
        st.c_oflag |= OPOST | ONLCR;
        tcsetattr(ser, TCSANOW, &st);
    }

    /* The keyboard produces UTF-8 (the keymap's Unicode entries arrive as UTF-8), the screen
     * decodes UTF-8, and nobody may switch the VT away from us. */
    if (ioctl(tty, KDSKBMODE, K_UNICODE) < 0)
        die("KDSKBMODE K_UNICODE");
    ioctl(tty, VT_LOCKSWITCH, 0); /* best effort */
    write_all(tty, "\033%G", 3);

    /* Raw input: every byte as the keyboard sent it, no echo, no line editing, no signals. */
    struct termios t;
    if (tcgetattr(tty, &t) < 0)
        die("tcgetattr");
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
    t.c_iflag |= IUTF8;
    t.c_lflag &= ~(ECHO | ECHONL | ECHOE | ECHOK | ICANON | ISIG | IEXTEN);
    t.c_oflag |= OPOST | ONLCR;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(tty, TCSAFLUSH, &t) < 0)
        die("tcsetattr");

    write_all(ser, "OVHKVM-READY\n", 13);

    unsigned char in[256];
    char out[256 * 8];
    char show[256 * 4];
    for (;;) {
        ssize_t n = read(tty, in, sizeof in);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("read");
        }
        if (n == 0) {
            usleep(10000);
            continue;
        }
        size_t o = 0, s = 0;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = in[i];
            o += (size_t)snprintf(out + o, sizeof out - o, "KEY %02x\n", c);
            if (c == '\r' || c == '\n') {
                show[s++] = '\r';
                show[s++] = '\n';
            } else if (c == 0x7f) {
                show[s++] = '^';
                show[s++] = '?';
            } else if (c < 0x20) {
                show[s++] = '^';
                show[s++] = (char)(c + '@');
            } else {
                show[s++] = (char)c; /* printable ASCII or a UTF-8 byte: the VT decodes it */
            }
        }
        write_all(ser, out, o);
        write_all(tty, show, s);
    }
}

static int blit(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: ttyecho blit FILE WIDTH HEIGHT X Y [FB]\n");
        return 2;
    }
    const char *file = argv[2];
    long w = atol(argv[3]), h = atol(argv[4]), x = atol(argv[5]), y = atol(argv[6]);
    const char *fb_path = argc > 7 ? argv[7] : "/dev/fb0";

    int fb = open(fb_path, O_RDWR);
    if (fb < 0)
        die(fb_path);
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    if (ioctl(fb, FBIOGET_VSCREENINFO, &var) < 0 || ioctl(fb, FBIOGET_FSCREENINFO, &fix) < 0)
        die("FBIOGET_*SCREENINFO");
    if (var.bits_per_pixel != 32) {
        fprintf(stderr, "ttyecho: %s is %u bpp, not 32\n", fb_path, var.bits_per_pixel);
        return 1;
    }
    size_t map_len = (size_t)fix.line_length * var.yres_virtual;
    unsigned char *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
    if (map == MAP_FAILED)
        die("mmap");

    int img = open(file, O_RDONLY);
    if (img < 0)
        die(file);
    size_t img_len = (size_t)(w * h * 4);
    unsigned char *pix = malloc(img_len);
    if (pix == NULL)
        die("malloc");
    size_t got = 0;
    while (got < img_len) {
        ssize_t n = read(img, pix + got, img_len - got);
        if (n <= 0) {
            fprintf(stderr, "ttyecho: %s is shorter than %ldx%ld pixels\n", file, w, h);
            return 1;
        }
        got += (size_t)n;
    }

    long xres = var.xres, yres = var.yres;
    for (long r = 0; r < h; r++) {
        long dy = y + r;
        if (dy < 0 || dy >= yres)
            continue;
        long x0 = x < 0 ? 0 : x;
        long x1 = x + w > xres ? xres : x + w;
        if (x1 <= x0)
            continue;
        memcpy(map + (size_t)dy * fix.line_length + (size_t)x0 * 4,
               pix + ((size_t)r * (size_t)w + (size_t)(x0 - x)) * 4, (size_t)(x1 - x0) * 4);
    }
    munmap(map, map_len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "blit") == 0)
        return blit(argc, argv);
    echo_keys(argc > 1 ? argv[1] : "/dev/tty1", argc > 2 ? argv[2] : "/dev/ttyS0");
}
