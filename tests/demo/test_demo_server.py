"""The demo server on the wire, as a raw RFB client sees it: QEMU's handshake and answers, only
the rectangles that changed, the LEDs, pixel formats and zlib; and a hostile client's bytes end
its own connection with one line in the log, never the server."""

from __future__ import annotations

import logging
import socket
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop import words
from ovhkvm_desktop.demo import BackgroundDemo, DemoServer
from ovhkvm_desktop.demo import server as demo_server

EXT_KEY, LED_STATE, EXT_DESKTOP_SIZE, RAW, ZLIB = -258, -261, -308, 0, 6
WIDTH, HEIGHT = 640, 400
XT_Q, XT_CAPS = 0x10, 0x3A  # the key that types "a" on a French guest; Caps Lock


class Client:
    """A raw RFB client on a socket, reading exactly what the server sends."""

    def __init__(self, port: int, version: bytes = b"RFB 003.008\n") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.version = version

    def recv(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError(f"closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def handshake(self) -> tuple[int, int, bytes, str]:
        assert self.recv(12) == b"RFB 003.008\n"
        self.sock.sendall(self.version)
        if self.version == b"RFB 003.003\n":
            assert struct.unpack(">I", self.recv(4)) == (1,)
        else:
            count = self.recv(1)[0]
            assert list(self.recv(count)) == [1]
            self.sock.sendall(b"\x01")
            if self.version == b"RFB 003.008\n":
                assert struct.unpack(">I", self.recv(4)) == (0,)
        self.sock.sendall(b"\x01")
        width, height = struct.unpack(">HH", self.recv(4))
        fmt = self.recv(16)
        (length,) = struct.unpack(">I", self.recv(4))
        return width, height, fmt, self.recv(length).decode()

    def set_encodings(self, *encodings: int) -> None:
        self.sock.sendall(struct.pack(f">BxH{len(encodings)}i", 2, len(encodings), *encodings))

    def request(self, incremental: bool, x: int = 0, y: int = 0, w: int = WIDTH, h: int = HEIGHT):
        self.sock.sendall(struct.pack(">BBHHHH", 3, incremental, x, y, w, h))

    def key(self, down: bool, scancode: int, keysym: int = 0x61) -> None:
        self.sock.sendall(struct.pack(">BBHII", 255, 0, down, keysym, scancode))

    def tap(self, scancode: int, keysym: int = 0x61) -> None:
        self.key(True, scancode, keysym)
        self.key(False, scancode, keysym)

    def plain_tap(self, keysym: int) -> None:
        """A plain RFB KeyEvent down and up: the server finds the key."""
        self.sock.sendall(struct.pack(">BBxxI", 4, 1, keysym) + struct.pack(">BBxxI", 4, 0, keysym))

    def set_desktop_size(self, width: int, height: int) -> None:
        screen = struct.pack(">IHHHHI", 0, 0, 0, width, height, 0)
        self.sock.sendall(struct.pack(">BxHHBx", 251, width, height, 1) + screen)

    def update(self, bpp: int = 32, inflate: zlib._Decompress | None = None) -> list[tuple]:
        """One FramebufferUpdate: (x, y, w, h, encoding, payload) per rectangle (pixels for Raw
        and zlib, the byte for LED state, the screens for ExtendedDesktopSize, b"" for the
        extended key event acknowledgement)."""
        kind, count = struct.unpack(">BxH", self.recv(4))
        assert kind == 0
        rects = []
        for _ in range(count):
            x, y, w, h, encoding = struct.unpack(">HHHHi", self.recv(12))
            if encoding == RAW:
                payload = self.recv(w * h * bpp // 8)
            elif encoding == ZLIB:
                assert inflate is not None
                (length,) = struct.unpack(">I", self.recv(4))
                payload = inflate.decompress(self.recv(length))
            elif encoding == LED_STATE:
                payload = self.recv(1)
            elif encoding == EXT_DESKTOP_SIZE:
                screens = self.recv(4)
                payload = screens + self.recv(16 * screens[0])
            else:
                payload = b""
            rects.append((x, y, w, h, encoding, payload))
        return rects

    def nothing_within(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(1) == b""  # closed counts as nothing sent
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(5)

    def closed(self) -> bool:
        """Whether the server closed the connection (after whatever it still had to send)."""
        try:
            while self.sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def demo() -> Iterator[BackgroundDemo]:
    running = BackgroundDemo("fr")
    yield running
    running.stop()


def port_of(demo: BackgroundDemo) -> int:
    return demo.server.port


def ready(demo: BackgroundDemo, *encodings: int) -> Client:
    """A client past the handshake, its encodings set, the whole screen received."""
    client = Client(port_of(demo))
    client.handshake()
    client.set_encodings(*(encodings or (RAW, EXT_KEY, LED_STATE)))
    acks = []
    if EXT_KEY in (encodings or (EXT_KEY,)):
        acks.append(client.update())
    if LED_STATE in (encodings or (LED_STATE,)):
        acks.append(client.update())
    client.request(False)
    client.update()
    return client


def screen_bytes(demo: BackgroundDemo, x: int, y: int, w: int, h: int) -> bytes:
    pixels = demo.server.console.screen.pixels[y : y + h, x : x + w]
    return pixels.astype("<u4").tobytes()


@pytest.mark.parametrize("version", [b"RFB 003.008\n", b"RFB 003.007\n", b"RFB 003.003\n"])
def test_the_handshake_is_qemus_security_none_and_a_bgrx_server_init(
    demo: BackgroundDemo, version: bytes
) -> None:
    client = Client(port_of(demo), version)
    width, height, fmt, name = client.handshake()
    assert (width, height, name) == (WIDTH, HEIGHT, "ovhkvm-desktop demo")
    # 32 bpp, depth 24, little-endian, true colour, 255 maxes, red 16 green 8 blue 0.
    assert fmt == struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
    client.close()


def test_set_encodings_is_answered_at_once_with_the_extended_key_ack_then_the_leds(
    demo: BackgroundDemo,
) -> None:
    client = Client(port_of(demo))
    client.handshake()
    client.set_encodings(RAW, EXT_KEY, LED_STATE)
    assert client.update() == [(0, 0, WIDTH, HEIGHT, EXT_KEY, b"")]
    assert client.update() == [(0, 0, 1, 1, LED_STATE, b"\x00")]
    client.request(False)
    [(x, y, w, h, encoding, pixels)] = client.update()
    assert (x, y, w, h, encoding) == (0, 0, WIDTH, HEIGHT, RAW)
    assert pixels == screen_bytes(demo, 0, 0, WIDTH, HEIGHT)
    client.close()


def test_without_qemu_keys_nothing_is_acknowledged() -> None:
    demo = BackgroundDemo("fr", qemu_keys=False)
    try:
        client = Client(demo.server.port)
        client.handshake()
        client.set_encodings(RAW, EXT_KEY, LED_STATE)
        client.request(False)
        [(_, _, w, h, encoding, _)] = client.update()  # the first answer is the screen
        assert (w, h, encoding) == (WIDTH, HEIGHT, RAW)
        # ... and an extended key event is not a message this server knows.
        client.key(True, XT_Q)
        assert client.closed()
    finally:
        demo.stop()


def test_a_key_sends_only_the_cells_that_changed(demo: BackgroundDemo) -> None:
    client = ready(demo)
    client.request(True)
    assert client.nothing_within(0.3)  # nothing changed: the request waits, as with QEMU
    client.tap(XT_Q)
    rects = client.update()
    # "a" after the prompt on row 4 and the cursor moving on: two cells of 8x16, one rectangle.
    prompt = len("root@demo:~# ")
    assert [(x, y, w, h) for x, y, w, h, _, _ in rects] == [(prompt * 8, 4 * 16, 16, 16)]
    x, y, w, h, _, pixels = rects[0]
    assert pixels == screen_bytes(demo, x, y, w, h)
    assert demo.server.console.typed == "a"
    client.close()


def test_caps_lock_turns_its_led_on_and_the_client_is_told(demo: BackgroundDemo) -> None:
    client = ready(demo)
    client.tap(XT_CAPS, 0xFFE5)
    assert client.update() == [(0, 0, 1, 1, LED_STATE, b"\x04")]
    client.tap(XT_Q, 0x41)
    client.request(True)
    client.update()
    assert demo.server.console.typed == "A"
    client.close()


def test_without_led_state_a_letters_case_syncs_caps_lock_as_qemu_does(
    demo: BackgroundDemo,
) -> None:
    """QEMU's lock-key sync: a client that does not follow the LEDs sends "A" without Shift;
    QEMU presses Caps Lock first, so the guest types "A"."""
    client = ready(demo, RAW, EXT_KEY)
    client.tap(XT_Q, 0x41)
    client.tap(XT_Q, 0x61)
    client.request(True)
    client.update()
    assert demo.server.console.typed == "Aa"
    client.close()


def test_plain_key_events_go_through_qemus_en_us_keymap(demo: BackgroundDemo) -> None:
    """No extended key events: keysym "q" is the US Q key, which a French guest reads as "a"."""
    client = ready(demo, RAW, LED_STATE)
    for keysym in (0x71, 0x61):
        client.sock.sendall(
            struct.pack(">BBxxI", 4, 1, keysym) + struct.pack(">BBxxI", 4, 0, keysym)
        )
    client.request(True)
    client.update()
    assert demo.server.console.typed == "aq"
    client.close()


KP_1, KP_2, KP_END, KP_SUBTRACT, KP_DECIMAL = 0xFFB1, 0xFFB2, 0xFF9C, 0xFFAD, 0xFFAE


def test_without_led_state_a_keypad_keysym_syncs_num_lock_as_qemu_does(
    demo: BackgroundDemo,
) -> None:
    """QEMU's lock-key sync on the keypad: a digit's keysym (or the decimal point's) turns the
    guest's Num Lock on before the key, any other keypad keysym (KP_End, KP_Subtract) turns it
    off; the guest, whose Num Lock was off, types the digits and moves the cursor for End."""
    keyboard = demo.server.console.keyboard
    client = ready(demo, RAW)  # plain key events, no LED state: QEMU syncs the locks itself
    assert not keyboard.num_lock
    client.plain_tap(KP_1)
    client.request(True)
    client.update()
    assert demo.server.console.typed == "1" and keyboard.num_lock
    client.plain_tap(KP_END)  # End: an escape sequence, nothing typed, Num Lock off
    client.plain_tap(KP_SUBTRACT)  # "-" whatever Num Lock says; QEMU turns it off all the same
    client.request(True)
    client.update()
    assert demo.server.console.typed == "1-" and not keyboard.num_lock
    client.plain_tap(KP_2)
    client.plain_tap(KP_DECIMAL)
    client.request(True)
    client.update()
    assert demo.server.console.typed == "1-2." and keyboard.num_lock
    client.close()


def test_with_led_state_the_client_syncs_num_lock_itself(demo: BackgroundDemo) -> None:
    """A client that follows the LEDs gets no help: KP_1 on a guest whose Num Lock is off is
    the End key there (the client should have pressed Num Lock first, as it knows the LED)."""
    keyboard = demo.server.console.keyboard
    client = ready(demo, RAW, EXT_KEY, LED_STATE)
    client.tap(0x4F, KP_1)
    client.tap(XT_Q)
    client.request(True)
    client.update()
    assert demo.server.console.typed == "a" and not keyboard.num_lock
    client.close()


def test_extended_desktop_size_comes_before_every_full_update_as_with_qemu(
    demo: BackgroundDemo,
) -> None:
    client = Client(port_of(demo))
    client.handshake()
    client.set_encodings(RAW, EXT_DESKTOP_SIZE)
    assert client.nothing_within(0.3)  # the size has not changed since ServerInit: nothing yet
    one_screen = b"\x01\0\0\0" + struct.pack(">IHHHHI", 0, 0, 0, WIDTH, HEIGHT, 0)
    for _ in range(2):  # every non-incremental request, not only the first
        client.request(False)
        assert client.update() == [(0, 0, WIDTH, HEIGHT, EXT_DESKTOP_SIZE, one_screen)]
        [(_, _, w, h, encoding, _)] = client.update()
        assert (w, h, encoding) == (WIDTH, HEIGHT, RAW)
    client.request(True)  # an incremental one: no size, and nothing changed
    assert client.nothing_within(0.3)
    client.close()


@pytest.mark.parametrize("listed", [True, False], ids=["listed", "not-listed"])
def test_set_desktop_size_is_refused_as_qemu_refuses_it(demo: BackgroundDemo, listed: bool) -> None:
    """The text console cannot change its size: reason 1 (this client's request), status 3
    (invalid screen layout), the screen as it is, whether or not the client listed -308."""
    client = ready(demo, RAW, EXT_DESKTOP_SIZE) if listed else ready(demo, RAW)
    if listed:
        client.update()  # ready() read the size; these are its full request's pixels
    client.set_desktop_size(1024, 768)
    one_screen = b"\x01\0\0\0" + struct.pack(">IHHHHI", 0, 0, 0, WIDTH, HEIGHT, 0)
    assert client.update() == [(1, 3, WIDTH, HEIGHT, EXT_DESKTOP_SIZE, one_screen)]
    assert demo.server.console.screen.width == WIDTH
    client.close()


def test_pixels_come_in_the_clients_pixel_format(demo: BackgroundDemo) -> None:
    client = ready(demo)
    # RGB565, big-endian: red 5 bits at 11, green 6 at 5, blue 5 at 0.
    client.sock.sendall(
        b"\x00\x00\x00\x00" + struct.pack(">BBBBHHHBBB3x", 16, 16, 1, 1, 31, 63, 31, 11, 5, 0)
    )
    client.request(False)
    [(_, _, w, h, _, payload)] = client.update(bpp=16)
    got = np.frombuffer(payload, ">u2").reshape(h, w)
    screen = demo.server.console.screen.pixels
    r, g, b = screen >> 16 & 0xFF, screen >> 8 & 0xFF, screen & 0xFF
    expected = (r * 31 // 255) << 11 | (g * 63 // 255) << 5 | (b * 31 // 255)
    assert np.array_equal(got, expected)
    assert len(np.unique(got)) >= 3  # black, grey, green and white all made it
    client.close()


def test_zlib_is_sent_when_the_client_lists_it_first(demo: BackgroundDemo) -> None:
    client = Client(port_of(demo))
    client.handshake()
    client.set_encodings(7, ZLIB, RAW)  # Tight first: the demo does not know it, zlib it does
    inflate = zlib.decompressobj()
    client.request(False)
    [(x, y, w, h, encoding, pixels)] = client.update(inflate=inflate)
    assert encoding == ZLIB and pixels == screen_bytes(demo, x, y, w, h)
    client.request(True)
    client.tap(XT_Q)  # one zlib stream for the whole connection
    [(x, y, w, h, encoding, pixels)] = client.update(inflate=inflate)
    assert encoding == ZLIB and pixels == screen_bytes(demo, x, y, w, h)
    client.close()


def test_it_serves_on_loopback_only() -> None:
    for host in ("0.0.0.0", "192.0.2.1", "::"):
        with pytest.raises(ValueError, match="loopback only"):
            DemoServer(host=host)


# -- a hostile client ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "logged"),
    [
        (b"\x63", "unknown message type 99"),
        (struct.pack(">BxH", 2, 60000), "SetEncodings lists 60000 encodings"),
        (struct.pack(">BxxxI", 6, 1 << 30), "a clipboard text of 1073741824 bytes"),
        (struct.pack(">Bxxxi", 6, -(1 << 30)), "a clipboard text of 1073741824 bytes"),
        (b"\x00\x00\x00\x00" + struct.pack(">BBBBHHHBBB3x", 8, 8, 0, 0, 0, 0, 0, 0, 0, 0),
         "unsupported pixel format (8bpp depth 8 colour map)"),
        (b"\x00\x00\x00\x00" + struct.pack(">BBBBHHHBBB3x", 24, 24, 0, 1, 255, 255, 255, 16, 8, 0),
         "unsupported pixel format"),
        (struct.pack(">BxHHBx", 251, 640, 400, 200), "SetDesktopSize with 200 screens"),
        (b"\xff\x07", "QEMU client message 7 is not supported"),
    ],
    ids=["unknown-type", "encodings", "cut-text", "extended-clipboard", "colour-map", "24-bpp",
         "desktop-size", "qemu-message"],
)  # fmt: skip
def test_a_bad_message_drops_that_client_with_one_line_and_others_carry_on(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, message: bytes, logged: str
) -> None:
    caplog.set_level(logging.WARNING, "ovhkvm_desktop.demo")
    bystander = ready(demo)
    client = ready(demo)
    client.sock.sendall(message)
    assert client.closed()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and logged in lines[0], lines
    assert lines[0].startswith("demo console: dropped 127.0.0.1:")
    assert "\n" not in lines[0] and not any(r.exc_info for r in caplog.records)
    bystander.request(True)
    bystander.tap(XT_Q)
    assert bystander.update()[0][4] == RAW
    bystander.close()


def test_a_dropped_clients_line_reads_in_the_users_language(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, french_catalogue: Path
) -> None:
    words.install(french_catalogue, languages=["fr"])
    caplog.set_level(logging.WARNING, "ovhkvm_desktop.demo")
    client = ready(demo)
    client.sock.sendall(struct.pack(">BxH", 2, 60000))
    assert client.closed()
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("console de démonstration : 127.0.0.1:")
    assert line.endswith(" déconnecté : SetEncodings annonce 60000 encodages"), line


@pytest.mark.parametrize(
    ("version", "reply", "logged"),
    [
        (b"HTTP/1.1 200", b"", "not an RFB 3.3, 3.7 or 3.8 client"),
        (b"RFB 003.008\n", b"\x02", "it chose security type 2, not None"),
    ],
)
def test_a_bad_handshake_is_refused_in_one_line(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, version: bytes, reply: bytes,
    logged: str,
) -> None:  # fmt: skip
    caplog.set_level(logging.WARNING, "ovhkvm_desktop.demo")
    client = Client(port_of(demo))
    client.recv(12)
    client.sock.sendall(version)
    if reply:
        client.recv(2)
        client.sock.sendall(reply)
        # RFB 3.8 says why: a failed SecurityResult and its reason.
        status, length = struct.unpack(">II", client.recv(8))
        assert status == 1 and b"None" in client.recv(length)
    assert client.closed()
    assert [logged in r.getMessage() for r in caplog.records] == [True]


def test_a_client_that_never_finishes_the_handshake_is_dropped(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, "ovhkvm_desktop.demo")
    monkeypatch.setattr(demo_server, "HANDSHAKE_TIMEOUT", 0.3)
    client = Client(port_of(demo))
    client.recv(12)  # ... and says nothing
    assert client.closed()
    assert ["no handshake within 0.3 s" in r.getMessage() for r in caplog.records] == [True]


def test_the_server_holds_a_bounded_number_of_clients(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, "ovhkvm_desktop.demo")
    monkeypatch.setattr(demo_server, "MAX_CLIENTS", 2)
    silent = Client(port_of(demo))  # connected, and still in its handshake: it counts
    silent.recv(12)
    held = [ready(demo), silent]
    extra = Client(port_of(demo))
    assert extra.closed()
    assert ["2 clients are connected already" in r.getMessage() for r in caplog.records] == [True]
    for client in held:
        client.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(noise=st.binary(min_size=1, max_size=64))
def test_noise_after_the_handshake_never_stops_the_server(
    demo: BackgroundDemo, caplog: pytest.LogCaptureFixture, noise: bytes
) -> None:
    caplog.set_level(logging.WARNING)
    caplog.clear()
    client = Client(port_of(demo))
    client.handshake()
    client.sock.sendall(noise)
    client.sock.shutdown(socket.SHUT_WR)  # then the end: the server finishes with it
    assert client.closed()
    client.close()
    # At most one line, the demo's own; never a traceback (asyncio's included).
    assert len(caplog.records) <= 1
    for record in caplog.records:
        assert record.name.startswith("ovhkvm_desktop.demo") and not record.exc_info
        assert record.getMessage().startswith("demo console: dropped 127.0.0.1:")
        assert "\n" not in record.getMessage()
    # Whatever that did (a key, a request, a dropped connection), a new client is served.
    check = Client(port_of(demo))
    assert check.handshake()[:2] == (WIDTH, HEIGHT)
    check.close()


def test_keys_a_client_held_are_let_go_when_it_leaves(demo: BackgroundDemo) -> None:
    """A client that drops with Shift held leaves no Shift stuck for the next one."""
    shift = 0x2A
    first = ready(demo)
    first.key(True, shift, 0xFFE1)
    first.tap(XT_Q, 0x41)
    first.request(True)
    first.update()
    first.close()
    second = ready(demo)
    second.request(True)
    second.tap(XT_Q)
    second.update()
    assert demo.server.console.typed == "Aa"
    second.close()
