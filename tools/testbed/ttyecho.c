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
 *   ttyecho serve TTY PORT
 *       The screen mode's command loop: reads one command a line from the serial PORT (raw) and
 *       answers on it, each answer ending with "OK CMD" or "ERR CMD why":
 *         SHOW HEX    writes the bytes HEX spells to TTY (text, escape sequences)
 *         DUMP        the console's own screen memory (TTY's /dev/vcsaN header and /dev/vcsuN):
 *                     "VCS ROWS COLUMNS X Y", then one "ROW HEX" per row, HEX the row's UTF-8
 *         FONT NAME   loads /fonts/NAME.psf and its Unicode table on TTY (as kbd's setfont)
 *         LOGIN       starts /login.sh (a getty on TTY) in the background
 *         PING N      answers "OK PING N" (bytes sent before the port is open are lost: the
 *                     host pings until it hears back)
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
#include <sys/wait.h>
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

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void say(int port, const char *fmt, const char *a, const char *b)
{
    char line[512];
    int n = snprintf(line, sizeof line, fmt, a, b);
    if (n > 0)
        write_all(port, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Appends code point U as UTF-8 to out (room for 4 bytes is the caller's). */
static size_t put_utf8(unsigned char *out, unsigned int u)
{
    if (u < 0x80) {
        out[0] = (unsigned char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (unsigned char)(0xc0 | (u >> 6));
        out[1] = (unsigned char)(0x80 | (u & 0x3f));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (u >> 12));
        out[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (u & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (u >> 18));
    out[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (u & 0x3f));
    return 4;
}

static int read_full(const char *path, unsigned char *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return got == len ? 0 : -1;
}

static void dump_screen(int port, const char *vt)
{
    char vcsa[64], vcsu[64];
    snprintf(vcsa, sizeof vcsa, "/dev/vcsa%s", vt);
    snprintf(vcsu, sizeof vcsu, "/dev/vcsu%s", vt);
    unsigned char head[4];
    if (read_full(vcsa, head, 4) < 0) {
        say(port, "ERR DUMP %s: %s\n", vcsa, strerror(errno));
        return;
    }
    unsigned int rows = head[0], cols = head[1];
    size_t cells = (size_t)rows * cols;
    unsigned char *raw = malloc(cells * 4);
    unsigned char *row = malloc((size_t)cols * 4);
    char *line = malloc((size_t)cols * 8 + 16);
    if (raw == NULL || row == NULL || line == NULL)
        die("malloc");
    if (read_full(vcsu, raw, cells * 4) < 0) {
        say(port, "ERR DUMP %s: %s\n", vcsu, strerror(errno));
        free(raw), free(row), free(line);
        return;
    }
    char top[64];
    int n = snprintf(top, sizeof top, "VCS %u %u %u %u\n", rows, cols, head[2], head[3]);
    write_all(port, top, (size_t)n);
    for (unsigned int r = 0; r < rows; r++) {
        size_t len = 0;
        for (unsigned int c = 0; c < cols; c++) {
            const unsigned char *p = raw + ((size_t)r * cols + c) * 4;
            unsigned int u = p[0] | (p[1] << 8) | (p[2] << 16) | ((unsigned int)p[3] << 24);
            len += put_utf8(row + len, u > 0x10ffff ? 0xfffd : u);
        }
        size_t o = (size_t)sprintf(line, "ROW ");
        for (size_t i = 0; i < len; i++)
            o += (size_t)sprintf(line + o, "%02x", row[i]);
        line[o++] = '\n';
        write_all(port, line, o);
    }
    free(raw), free(row), free(line);
    write_all(port, "OK DUMP\n", 8);
}

static const char *load_font(int tty, const char *path)
{
    static unsigned char file[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return "cannot open the font";
    size_t size = 0;
    for (;;) {
        ssize_t n = read(fd, file + size, sizeof file - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size += (size_t)n;
    }
    close(fd);

    unsigned int count, height, width, glyph_bytes, offset, has_table, psf2;
    if (size >= 4 && file[0] == 0x36 && file[1] == 0x04) {
        psf2 = 0;
        count = (file[2] & 1) ? 512 : 256;
        has_table = (file[2] & 6) != 0;
        height = file[3];
        width = 8;
        glyph_bytes = height;
        offset = 4;
    } else if (size >= 32 && file[0] == 0x72 && file[1] == 0xb5 && file[2] == 0x4a && file[3] == 0x86) {
        psf2 = 1;
#define U32(at) (file[at] | file[at + 1] << 8 | file[at + 2] << 16 | (unsigned int)file[at + 3] << 24)
        offset = U32(8);
        has_table = U32(12) & 1;
        count = U32(16);
        glyph_bytes = U32(20);
        height = U32(24);
        width = U32(28);
#undef U32
    } else {
        return "not a PSF font";
    }
    unsigned int row_bytes = (width + 7) / 8;
    if (count == 0 || count > 512 || height == 0 || height > 32 || width == 0 || width > 32 ||
        glyph_bytes != row_bytes * height || offset > size || (size - offset) / glyph_bytes < count)
        return "a damaged or unsupported font";

    /* The kernel takes 32 rows a glyph. */
    static unsigned char data[512 * 32 * 4];
    memset(data, 0, sizeof data);
    for (unsigned int g = 0; g < count; g++)
        memcpy(data + (size_t)g * 32 * row_bytes, file + offset + (size_t)g * glyph_bytes, glyph_bytes);
    struct console_font_op op = {
        .op = KD_FONT_OP_SET, .flags = 0, .width = width, .height = height,
        .charcount = count, .data = data,
    };
    if (ioctl(tty, KDFONTOP, &op) < 0)
        return "KDFONTOP failed";
    if (!has_table)
        return NULL;

    static struct unipair pairs[65536];
    unsigned int n_pairs = 0;
    size_t at = offset + (size_t)count * glyph_bytes;
    for (unsigned int g = 0; g < count && at < size; g++) {
        int in_sequence = 0;
        for (;;) {
            unsigned int u;
            if (!psf2) {
                if (at + 2 > size)
                    return "a damaged Unicode table";
                u = file[at] | file[at + 1] << 8;
                at += 2;
                if (u == 0xffff)
                    break;
                if (u == 0xfffe) {
                    in_sequence = 1;
                    continue;
                }
            } else {
                if (at >= size)
                    return "a damaged Unicode table";
                unsigned char b = file[at];
                if (b == 0xff) {
                    at++;
                    break;
                }
                if (b == 0xfe) {
                    at++;
                    in_sequence = 1;
                    continue;
                }
                unsigned int len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
                if (at + len > size)
                    return "a damaged Unicode table";
                u = len == 1 ? b : b & (0xff >> (len + 1));
                for (unsigned int k = 1; k < len; k++)
                    u = u << 6 | (file[at + k] & 0x3f);
                at += len;
            }
            /* Sequences (a letter and its combining marks) are not single characters. */
            if (!in_sequence && u <= 0xffff && n_pairs < 65536) {
                pairs[n_pairs].unicode = (unsigned short)u;
                pairs[n_pairs].fontpos = (unsigned short)g;
                n_pairs++;
            }
        }
    }
    struct unimapinit init = {0, 0, 0};
    if (ioctl(tty, PIO_UNIMAPCLR, &init) < 0)
        return "PIO_UNIMAPCLR failed";
    struct unimapdesc desc = {.entry_ct = (unsigned short)n_pairs, .entries = pairs};
    if (ioctl(tty, PIO_UNIMAP, &desc) < 0)
        return "PIO_UNIMAP failed";
    return NULL;
}

static int serve(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ttyecho serve TTY PORT\n");
        return 2;
    }
    const char *tty_path = argv[2];
    const char *vt = tty_path + strcspn(tty_path, "0123456789");
    int tty = open(tty_path, O_WRONLY | O_NOCTTY);
    if (tty < 0)
        die(tty_path);
    int port = open(argv[3], O_RDWR | O_NOCTTY);
    if (port < 0)
        die(argv[3]);
    struct termios t;
    if (tcgetattr(port, &t) < 0)
        die("tcgetattr");
    cfmakeraw(&t);
    cfsetospeed(&t, B115200);
    cfsetispeed(&t, B115200);
    if (tcsetattr(port, TCSANOW, &t) < 0)
        die("tcsetattr");

    size_t cap = 1 << 20, len = 0;
    char *line = malloc(cap);
    unsigned char *bytes = malloc(cap / 2);
    if (line == NULL || bytes == NULL)
        die("malloc");
    for (;;) {
        char c;
        ssize_t n = read(port, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            usleep(10000);
            continue;
        }
        if (c == '\r')
            continue;
        if (c != '\n') {
            if (len + 1 < cap)
                line[len++] = c;
            continue;
        }
        line[len] = '\0';
        len = 0;
        if (strncmp(line, "SHOW ", 5) == 0) {
            const char *hex = line + 5;
            size_t count = 0;
            int bad = 0;
            for (; hex[0] && hex[1]; hex += 2) {
                int hi = hex_value(hex[0]), lo = hex_value(hex[1]);
                if (hi < 0 || lo < 0) {
                    bad = 1;
                    break;
                }
                bytes[count++] = (unsigned char)(hi << 4 | lo);
            }
            if (bad || *hex) {
                say(port, "ERR SHOW %s%s\n", "not hexadecimal", "");
                continue;
            }
            write_all(tty, (const char *)bytes, count);
            tcdrain(tty);
            say(port, "OK SHOW\n%s%s", "", "");
        } else if (line[0] == '\0') {
            continue; /* the host's pings start with a new line */
        } else if (strncmp(line, "PING ", 5) == 0) {
            say(port, "OK PING %.40s%s\n", line + 5, "");
        } else if (strcmp(line, "DUMP") == 0) {
            dump_screen(port, vt);
        } else if (strncmp(line, "FONT ", 5) == 0 && strchr(line + 5, '/') == NULL) {
            char path[256];
            snprintf(path, sizeof path, "/fonts/%s.psf", line + 5);
            const char *why = load_font(tty, path);
            if (why == NULL)
                say(port, "OK FONT\n%s%s", "", "");
            else
                say(port, "ERR FONT %s: %s\n", path, why);
        } else if (strcmp(line, "LOGIN") == 0) {
            pid_t pid = fork();
            if (pid == 0) {
                setsid();
                execl("/bin/sh", "sh", "/login.sh", (char *)NULL);
                _exit(127);
            }
            say(port, pid > 0 ? "OK LOGIN\n%s%s" : "ERR LOGIN fork failed\n%s%s", "", "");
        } else {
            say(port, "ERR UNKNOWN %.40s%s\n", line, "");
        }
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
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    echo_keys(argc > 1 ? argv[1] : "/dev/tty1", argc > 2 ? argv[2] : "/dev/ttyS0");
}
