"""The protocol core as a server would drive it: messages in, events and client messages out."""

import struct

import numpy as np
import pytest

from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb import messages
from ovhkvm_desktop.rfb.connection import Connection
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Rect
from tests.rfb.server_stream import (
    clipboard_provide_text,
    cut_text,
    extended_clipboard,
    fbu,
    raw_rect,
    rect,
)


def started(width=64, height=48, encodings=(Encoding.RAW, Encoding.COPYRECT)) -> Connection:
    conn = Connection(width, height, "test")
    conn.start(encodings)
    conn.data_to_send()
    return conn


def parse_client_messages(data: bytes) -> list[tuple]:
    """Split what the client sent into (type, fields) tuples, for assertions."""
    out = []
    pos = 0
    while pos < len(data):
        kind = data[pos]
        if kind == 0:
            out.append(("SetPixelFormat", messages.PixelFormat.unpack(data[pos + 4 : pos + 20])))
            pos += 20
        elif kind == 2:
            (n,) = struct.unpack_from(">H", data, pos + 2)
            out.append(("SetEncodings", struct.unpack_from(f">{n}i", data, pos + 4)))
            pos += 4 + 4 * n
        elif kind == 3:
            out.append(("FramebufferUpdateRequest", struct.unpack_from(">BHHHH", data, pos + 1)))
            pos += 10
        elif kind == 6:
            (length,) = struct.unpack_from(">i", data, pos + 4)
            size = abs(length)
            out.append(("ClientCutText", length, data[pos + 8 : pos + 8 + size]))
            pos += 8 + size
        else:
            raise AssertionError(f"unexpected client message {kind}")
    return out


def test_start_asks_for_bgrx_the_encodings_in_order_and_a_full_screen():
    conn = Connection(800, 600)
    conn.start([Encoding.TIGHT, Encoding.ZRLE], compression=3, quality=7)
    sent = parse_client_messages(conn.data_to_send())
    assert sent[0] == ("SetPixelFormat", messages.BGRX)
    _kind, codes = sent[1]
    assert codes[:3] == (Encoding.TIGHT, Encoding.ZRLE, Encoding.RAW)
    for pseudo in (-258, -261, -308, -223, -239, -257, -224, Encoding.EXTENDED_CLIPBOARD):
        assert pseudo in codes
    assert -256 + 3 in codes and -32 + 7 in codes
    assert sent[2] == ("FramebufferUpdateRequest", (0, 0, 0, 800, 600))


def test_raw_update_paints_pixels_and_keeps_one_incremental_request_in_flight():
    conn = started(4, 2)
    pixels = bytes(range(32))
    events = conn.receive_bytes(fbu(raw_rect(0, 0, 4, 2, pixels)))
    assert events == [ev.FramebufferUpdated([Rect(0, 0, 4, 2)], answered_request=True)]
    assert conn.fb.pixels.tobytes() == pixels
    assert parse_client_messages(conn.data_to_send()) == [
        ("FramebufferUpdateRequest", (1, 0, 0, 4, 2))
    ]
    # A second update answers that request: again exactly one new request.
    conn.receive_bytes(fbu(raw_rect(1, 1, 1, 1, b"\1\2\3\4")))
    assert len(parse_client_messages(conn.data_to_send())) == 1


def test_update_split_at_every_byte_gives_the_same_screen():
    stream = fbu(
        raw_rect(0, 0, 3, 2, bytes(range(24))),
        rect(1, 0, 2, 2, Encoding.COPYRECT, struct.pack(">HH", 0, 0)),
    )
    whole = started(3, 2)
    whole.receive_bytes(stream)
    for split in range(1, len(stream)):
        conn = started(3, 2)
        first = conn.receive_bytes(stream[:split])
        second = conn.receive_bytes(stream[split:])
        assert [type(e) for e in first + second] == [ev.FramebufferUpdated]
        assert np.array_equal(conn.fb.pixels, whole.fb.pixels)
    trickle = started(3, 2)
    got = [e for b in stream for e in trickle.receive_bytes(bytes([b]))]
    assert len(got) == 1 and np.array_equal(trickle.fb.pixels, whole.fb.pixels)


def test_a_raw_rectangle_shows_its_rows_as_they_arrive():
    """A large Raw rectangle cut between reads (QEMU's first update is one 8 MB rectangle) is
    painted row by row as its bytes come, as noVNC does: half of it received, half of its rows
    are on the screen, and cut in the middle of a row, only that row waits."""
    width, height = 40, 30
    pixels = bytes((i * 7) & 0xFF for i in range(width * height * 4))
    stream = fbu(raw_rect(0, 0, width, height, pixels))
    row = width * 4
    header = len(stream) - len(pixels)
    conn = started(width, height)
    blank = conn.fb.pixels.tobytes()
    cut = header + 12 * row + row // 2  # twelve rows and a half
    assert conn.receive_bytes(stream[:cut]) == []
    shown = conn.fb.pixels.tobytes()
    assert shown[: 12 * row] == pixels[: 12 * row]
    assert shown[12 * row :] == blank[12 * row :]  # the row under way waits
    events = conn.receive_bytes(stream[cut : cut + row])  # completes row 13, half of row 14
    assert events == [] and conn.fb.pixels.tobytes()[: 13 * row] == pixels[: 13 * row]
    events = conn.receive_bytes(stream[cut + row :])
    assert events == [ev.FramebufferUpdated([Rect(0, 0, width, height)], answered_request=True)]
    assert conn.fb.pixels.tobytes() == pixels


def test_a_bell_after_a_raw_rectangle_cut_between_reads_is_not_held_back():
    """The bytes that end a Raw rectangle and a message after them, in one read: the message
    comes out at once (nothing waits for more bytes than are due)."""
    pixels = bytes(range(4 * 3 * 4))
    stream = fbu(raw_rect(0, 0, 4, 3, pixels))
    conn = started(4, 3)
    conn.receive_bytes(stream[:-20])  # the rectangle's last row and a bit are still due
    events = conn.receive_bytes(stream[-20:] + b"\x02")
    assert events == [
        ev.FramebufferUpdated([Rect(0, 0, 4, 3)], answered_request=True),
        ev.Bell(),
    ]
    assert conn.receive_bytes(b"\x02") == [ev.Bell()]


def test_a_deadline_decodes_in_slices_with_the_same_result():
    """Past its deadline, receive_bytes stops after each rectangle (paused, the rest kept);
    going on with no new bytes ends with the same screen, events and requests as at once."""
    rects = [raw_rect(x, y, 1, 1, bytes([x, y, x ^ y, 0])) for y in range(4) for x in range(8)]
    # An update of 32 rectangles, a Bell, another update.
    stream = fbu(*rects) + b"\x02" + fbu(raw_rect(0, 0, 2, 2, bytes(range(16))))
    whole = started(8, 4)
    whole_events = whole.receive_bytes(stream)
    assert not whole.paused
    sliced = started(8, 4)
    per_turn = [sliced.receive_bytes(stream, deadline=0.0)]  # a deadline long past
    while sliced.paused:
        per_turn.append(sliced.receive_bytes(b"", deadline=0.0))
    assert len(per_turn) >= len(rects)  # one rectangle per turn, then the rest
    assert per_turn[: len(rects) - 1] == [[]] * (len(rects) - 1)  # the update is not done yet
    events = [event for turn in per_turn for event in turn]
    assert events == whole_events
    assert np.array_equal(sliced.fb.pixels, whole.fb.pixels)
    assert parse_client_messages(sliced.data_to_send()) == parse_client_messages(
        whole.data_to_send()
    )
    # Without a deadline, or with time to spare, nothing pauses.
    spare = started(8, 4)
    assert spare.receive_bytes(stream, deadline=float("inf")) == whole_events
    assert not spare.paused


def test_qemu_notices_do_not_count_as_the_answer_to_our_request():
    conn = started()
    events = conn.receive_bytes(
        fbu(rect(0, 0, 64, 48, Encoding.QEMU_EXTENDED_KEY_EVENT))
        + fbu(rect(0, 0, 64, 48, Encoding.QEMU_LED_STATE, b"\x06"))
        + fbu(rect(1, 0, 64, 48, Encoding.QEMU_POINTER_MOTION_CHANGE))
    )
    assert ev.ExtensionAcknowledged(Encoding.QEMU_EXTENDED_KEY_EVENT) in events
    assert ev.LedState(scroll_lock=False, num_lock=True, caps_lock=True) in events
    assert ev.PointerModeChanged(absolute=True) in events
    assert all(not e.answered_request for e in events if isinstance(e, ev.FramebufferUpdated))
    assert conn.data_to_send() == b""  # still waiting for the answer: no second request
    assert {-258, -261, -257} <= conn.acknowledged


def test_extended_desktop_size_resizes_and_is_answered_incrementally():
    conn = started(64, 48)
    screen = struct.pack(">IHHHHI", 7, 0, 0, 1024, 768, 0)
    events = conn.receive_bytes(
        fbu(rect(0, 0, 1024, 768, Encoding.EXTENDED_DESKTOP_SIZE, b"\x01\0\0\0" + screen))
    )
    assert ev.DesktopResized(1024, 768) in events
    assert (conn.fb.width, conn.fb.height) == (1024, 768)
    # Never a non-incremental request after ExtendedDesktopSize: QEMU would answer it again.
    assert parse_client_messages(conn.data_to_send()) == [
        ("FramebufferUpdateRequest", (1, 0, 0, 1024, 768))
    ]


@pytest.mark.parametrize("reads", ["one read", "two reads"])
def test_the_screens_size_sent_before_the_pixels_leaves_the_request_to_them(reads: str):
    """QEMU answers a full update request with the screen's size in a message of its own
    (ExtendedDesktopSize, nothing changed), then the pixels: the pixels are the answer, however
    the two arrive, so a command waiting for an answered, whole screen gets it (the demo's
    `read` timed out one run in three when both came in one read)."""
    conn = started(4, 2)
    conn.receive_bytes(b"")
    size = fbu(rect(0, 0, 4, 2, Encoding.EXTENDED_DESKTOP_SIZE, b"\x01\0\0\0" + bytes(16)))
    pixels = fbu(raw_rect(0, 0, 4, 2, bytes(range(32))))
    if reads == "one read":
        events = conn.receive_bytes(size + pixels)
    else:
        events = conn.receive_bytes(size) + conn.receive_bytes(pixels)
    updates = [e for e in events if isinstance(e, ev.FramebufferUpdated)]
    assert [u.answered_request for u in updates] == [False, True]
    assert updates[1].rects == [Rect(0, 0, 4, 2)]
    assert not any(isinstance(e, ev.DesktopResized) for e in events)
    # One request after the answer, none after the size alone.
    assert parse_client_messages(conn.data_to_send()) == [
        ("FramebufferUpdateRequest", (1, 0, 0, 4, 2))
    ]


def test_desktop_size_then_pixels_in_the_same_update():
    conn = started(8, 8)
    events = conn.receive_bytes(
        fbu(rect(0, 0, 16, 4, Encoding.DESKTOP_SIZE), raw_rect(12, 3, 4, 1, b"\xff" * 16))
    )
    assert events[0] == ev.DesktopResized(16, 4)
    assert events[1] == ev.FramebufferUpdated([Rect(12, 3, 4, 1)])
    assert conn.fb.pixels[3, 12:16].tobytes() == b"\xff" * 16


def test_last_rect_ends_an_update_of_unknown_length():
    conn = started(2, 1)
    stream = struct.pack(">BxH", 0, 0xFFFF) + raw_rect(0, 0, 2, 1, b"\x01" * 8)
    stream += rect(0, 0, 0, 0, Encoding.LAST_RECT) + bytes([2])  # then a Bell
    events = conn.receive_bytes(stream)
    assert [type(e) for e in events] == [ev.FramebufferUpdated, ev.Bell]


def test_cursor_shape_combines_pixels_and_mask():
    conn = started()
    w, h = 3, 2
    pixels = bytes([10, 20, 30, 0]) * (w * h)
    mask = bytes([0b10100000, 0b01000000])
    events = conn.receive_bytes(fbu(rect(1, 1, w, h, Encoding.CURSOR, pixels + mask)))
    cursor = events[0]
    assert isinstance(cursor, ev.CursorChanged)
    assert (cursor.hotspot_x, cursor.hotspot_y, cursor.width, cursor.height) == (1, 1, 3, 2)
    alpha = list(cursor.bgra[3::4])
    assert alpha == [255, 0, 255, 0, 255, 0]
    assert cursor.bgra[:3] == bytes([10, 20, 30])


def test_plain_cut_text_is_latin1_with_unix_newlines():
    conn = started()
    events = conn.receive_bytes(cut_text("café\r\nok".encode("latin-1")))
    assert events == [ev.ServerCutText("café\nok")]


def test_extended_clipboard_caps_notify_request_provide():
    conn = started()
    caps = extended_clipboard((1 << 24) | (1 << 25) | (1 << 27) | (1 << 28) | 1, b"\0\0\x10\0")
    events = conn.receive_bytes(caps)
    assert isinstance(events[0], ev.ClipboardCapabilities)
    assert events[0].max_sizes == (4096,)
    assert Encoding.EXTENDED_CLIPBOARD in conn.acknowledged
    reply = parse_client_messages(conn.data_to_send())
    assert reply[0][1] < 0  # our caps, as an extended message
    # The server says its clipboard has text: we ask for it, it provides it.
    conn.receive_bytes(extended_clipboard((1 << 27) | 1))
    ((_, _, body),) = parse_client_messages(conn.data_to_send())
    assert struct.unpack(">I", body)[0] == (1 << 25) | 1
    events = conn.receive_bytes(clipboard_provide_text("héllo\nwörld"))
    assert events == [ev.ServerCutText("héllo\nwörld")]
    # Our clipboard goes out as a notify, then a provide when the server asks.
    conn.send_clipboard("ça va")
    ((_, _, body),) = parse_client_messages(conn.data_to_send())
    assert struct.unpack(">I", body)[0] == (1 << 27) | 1
    conn.receive_bytes(extended_clipboard((1 << 25) | 1))
    ((_, _length, body),) = parse_client_messages(conn.data_to_send())
    assert struct.unpack_from(">I", body)[0] == (1 << 28) | 1
    import zlib

    data = zlib.decompress(body[4:])
    assert data[4:] == "ça va".encode() + b"\0"


def test_plain_clipboard_without_the_extension_is_latin1():
    conn = started()
    conn.send_clipboard("a\nb")
    assert parse_client_messages(conn.data_to_send()) == [("ClientCutText", 3, b"a\nb")]


def test_oversized_cut_text_is_dropped_without_being_kept():
    conn = started()
    big = 20 << 20
    conn.receive_bytes(struct.pack(">BxxxI", 3, big))
    for _ in range(20):
        assert conn.receive_bytes(b"x" * (1 << 20)) == []
        assert len(conn._buf) == 0
    assert conn.receive_bytes(bytes([2])) == [ev.Bell()]


@pytest.mark.parametrize(
    ("stream", "words"),
    [
        (bytes([150]), "type 150"),
        (bytes([77]), "type 77"),
        (fbu(raw_rect(60, 40, 8, 8, bytes(256))), "outside the 64x48 screen"),
        (fbu(rect(0, 0, 1, 1, 16, b"")), "encoding 16, which this client did not ask for"),
        (fbu(rect(0, 0, 1, 1, -999, b"")), "pseudo-encoding -999"),
        (fbu(rect(0, 0, 9000, 10, Encoding.DESKTOP_SIZE)), "impossible screen size 9000x10"),
        (fbu(rect(0, 0, 2000, 2000, Encoding.CURSOR)), "2000x2000 pointer shape"),
        (fbu(rect(0, 0, 1, 1, Encoding.COPYRECT, struct.pack(">HH", 64, 0))), "copy"),
    ],
)
def test_malformed_server_messages_raise_a_readable_protocol_error(stream, words):
    conn = started()
    with pytest.raises(ProtocolError, match=words):
        conn.receive_bytes(stream)


def test_a_burst_of_empty_updates_the_server_sends_unasked_gets_one_request_not_one_each():
    conn = started(4, 2)
    conn.receive_bytes(fbu(raw_rect(0, 0, 4, 2, bytes(32))))  # answers the first request
    # Before our next request has even left, the server floods empty updates and resizes: none
    # can answer a request it was not sent.
    flood = fbu() * 1000 + fbu(rect(0, 0, 5, 2, Encoding.DESKTOP_SIZE)) * 100
    events = conn.receive_bytes(flood)
    assert len([e for e in events if isinstance(e, ev.FramebufferUpdated)]) == 1100
    assert not any(e.answered_request for e in events if isinstance(e, ev.FramebufferUpdated))
    assert parse_client_messages(conn.data_to_send()) == [
        ("FramebufferUpdateRequest", (1, 0, 0, 4, 2))
    ]
    # Our request is now in flight: the next update answers it, and only it gets a new one.
    events = conn.receive_bytes(fbu() * 1000)
    assert [e.answered_request for e in events][:2] == [True, False]
    assert parse_client_messages(conn.data_to_send()) == [
        ("FramebufferUpdateRequest", (1, 0, 0, 5, 2))
    ]


def test_empty_updates_answering_each_request_keep_the_screen_asked_for():
    conn = started(4, 2)
    for _ in range(3):
        (event,) = conn.receive_bytes(fbu())
        assert event.answered_request
        assert parse_client_messages(conn.data_to_send()) == [
            ("FramebufferUpdateRequest", (1, 0, 0, 4, 2))
        ]


def clipboard_with_notify() -> Connection:
    conn = started()
    caps = (1 << 24) | (1 << 25) | (1 << 26) | (1 << 27) | (1 << 28) | 1
    conn.receive_bytes(extended_clipboard(caps, b"\0\0\x10\0"))
    conn.data_to_send()
    return conn


def provided(data: bytes) -> list[bytes]:
    """The texts in the extended clipboard provide messages the client sent."""
    import zlib

    texts = []
    for _kind, _length, body in parse_client_messages(data):
        if struct.unpack_from(">I", body)[0] & (1 << 28):
            texts.append(zlib.decompress(body[4:])[4:].rstrip(b"\0"))
    return texts


def test_our_clipboard_goes_once_to_the_request_after_our_notify_then_is_forgotten():
    conn = clipboard_with_notify()
    conn.send_clipboard("my secret")
    ((_, _, body),) = parse_client_messages(conn.data_to_send())
    assert struct.unpack(">I", body)[0] == (1 << 27) | 1  # notify: we have text
    conn.receive_bytes(extended_clipboard((1 << 25) | 1))  # the server asks for it
    assert provided(conn.data_to_send()) == [b"my secret"]
    # Asked again, or peeked at, later: nothing more leaves.
    conn.receive_bytes(extended_clipboard((1 << 25) | 1))
    conn.receive_bytes(extended_clipboard((1 << 26) | 1))
    assert conn.data_to_send() == b""
    # A new copy is a new offer, given once again.
    conn.send_clipboard("next")
    conn.data_to_send()
    conn.receive_bytes(extended_clipboard((1 << 26) | 1))  # a peek is told there is text
    ((_, _, body),) = parse_client_messages(conn.data_to_send())
    assert struct.unpack(">I", body)[0] == (1 << 27) | 1
    conn.receive_bytes(extended_clipboard((1 << 25) | 1) * 2)
    assert provided(conn.data_to_send()) == [b"next"]


def test_clipboard_provided_unasked_is_not_kept_for_later_requests():
    conn = started()
    caps = (1 << 24) | (1 << 25) | (1 << 28) | 1  # no notify: the text is provided at once
    conn.receive_bytes(extended_clipboard(caps, b"\0\0\x10\0"))
    conn.data_to_send()
    conn.send_clipboard("my secret")
    assert provided(conn.data_to_send()) == [b"my secret"]
    conn.receive_bytes(extended_clipboard((1 << 25) | 1))
    assert conn.data_to_send() == b""
