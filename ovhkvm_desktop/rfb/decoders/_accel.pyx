# cython: language_level=3, boundscheck=True, wraparound=False, initializedcheck=True
# cython: cdivision=False, infer_types=False
"""The decoders' hot loops compiled (Cython): tiles, runs and pixels of one rectangle per call,
and ``rects``, which walks a run of an update's data rectangles, headers and all, in one call
(``Connection`` hands it everything but pseudo-encodings and what it gives back).

Everything a server sends is untrusted, so this file is memory-safe by construction: every read
and write goes through a typed memoryview with bounds checking left on (an index out of range
raises IndexError instead of touching memory); the two places that copy whole rows with memcpy
take both addresses through bounds-checked indexing and check both lengths first. Nothing here
knows the protocol's words: a malformed payload is reported back as an error code with its
numbers, and the Python decoder that called raises the ``ProtocolError`` the user reads, the
same sentence as its pure-Python path (which stays the reference: see ``compiled.py``).

Pixels are written as native 32-bit words 0xXXRRGGBB; ``compiled.py`` only loads this module on
little-endian machines, where such a word is the bytes B, G, R, X the framebuffer holds.
"""

cimport cython
from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memcpy, memset

import zlib as _zlib

ctypedef const uint8_t[::1] Bytes
ctypedef uint32_t[:, ::1] Screen

cdef uint32_t OPAQUE = 0xFF000000u

# Error codes returned to the Python decoders (the first item of an error tuple).
HEXTILE_SUBENCODING = 1  # (code, mask)
HEXTILE_MISFIT = 2  # (code, x, y, width, height, tile width, tile height)
ZRLE_PAST_END = 3  # (code,)
ZRLE_RUN_PAST_TILE = 4  # (code, tile width, tile height)
ZRLE_NO_SUCH_COLOUR = 5  # (code, colours)
ZRLE_SUBENCODING = 6  # (code, subencoding)


cdef inline int _check_rect(Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w,
                             Py_ssize_t h) except -1:
    if x < 0 or y < 0 or w < 0 or h < 0 or x + w > screen.shape[1] or y + h > screen.shape[0]:
        raise IndexError("rectangle outside the screen")
    return 0


@cython.boundscheck(False)
cdef inline void _set(Screen screen, Py_ssize_t row, Py_ssize_t col, uint32_t colour) noexcept:
    """Write one pixel of a rectangle its caller has checked inside the screen (``_check_rect``)
    and stays within (the loops that call it are written to stay inside it)."""
    screen[row, col] = colour


cdef inline int _fill(Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h,
                       uint32_t colour) except -1:
    cdef Py_ssize_t row, col
    # The whole rectangle is checked inside the screen first, so each write needs no check of
    # its own (the loop below writes nothing outside the rows and columns checked here).
    _check_rect(screen, x, y, w, h)
    if not w or not h:
        return 0
    with cython.boundscheck(False):
        for col in range(x, x + w):
            screen[y, col] = colour
    for row in range(y + 1, y + h):
        # The first row copied down: both addresses are taken with bounds checks.
        memcpy(&screen[row, x], &screen[y, x], 4 * w)
    return 0


cdef inline int _copy_row(Screen screen, Py_ssize_t x, Py_ssize_t y, Bytes data, Py_ssize_t p,
                           Py_ssize_t pixels) except -1:
    """Copy ``pixels`` BGRX pixels from ``data[p:]`` to the screen at (x, y), as they are."""
    if pixels <= 0:
        return 0
    if x < 0 or x + pixels > screen.shape[1] or p < 0 or p + 4 * pixels > data.shape[0]:
        raise IndexError("row outside the screen or the data")
    memcpy(&screen[y, x], &data[p], 4 * pixels)
    return 0


def fill(Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, uint32_t colour):
    """Paint a rectangle of the screen with one colour."""
    _check_rect(screen, x, y, w, h)
    _fill(screen, x, y, w, h, colour)


def put(Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, Bytes data,
        Py_ssize_t p):
    """Copy ``w * h`` BGRX pixels, rows top to bottom, from ``data[p:]`` into a rectangle."""
    _check_rect(screen, x, y, w, h)
    if p < 0 or p + 4 * w * h > data.shape[0]:
        raise IndexError("the pixels run past the data")
    cdef Py_ssize_t row
    for row in range(h):
        _copy_row(screen, x, y + row, data, p + 4 * w * row, w)


# --- Hextile ------------------------------------------------------------------------------------


cdef inline Py_ssize_t _u32(Bytes data, Py_ssize_t p):
    """The 4 bytes at ``p`` as a big-endian number (a length, a PNG's width or height)."""
    return ((<Py_ssize_t>data[p] << 24) | (<Py_ssize_t>data[p + 1] << 16)
            | (<Py_ssize_t>data[p + 2] << 8) | data[p + 3])


cdef inline uint32_t _word(Bytes data, Py_ssize_t p):
    """The 4 bytes at ``p`` as a little-endian word (a pixel as it came)."""
    return data[p] | (<uint32_t>data[p + 1] << 8) | (<uint32_t>data[p + 2] << 16) | (
        <uint32_t>data[p + 3] << 24)


cdef struct HextileState:
    # Where a call to ``_hextile`` stopped: the position after the last tile decoded, the first
    # tile not decoded, and the colours carried to it.
    Py_ssize_t pos
    Py_ssize_t next_tile
    uint32_t background
    uint32_t foreground


def hextile(Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t rx, Py_ssize_t ry,
            Py_ssize_t rw, Py_ssize_t rh, Py_ssize_t next_tile, uint32_t background,
            uint32_t foreground, Py_ssize_t batch_tiles):
    """Decode the whole tiles of a Hextile rectangle that ``buf`` holds from ``pos``.

    Returns ``(pos, next_tile, background, foreground, error)``: where the data read ends, the
    first tile not decoded (all of them: the rectangle is done), the colours carried to it, and
    None or an error tuple. Tiles go in batches of whole rows of tiles, as in the Python
    decoder, and each batch is parsed (unknown subencodings refused) before it is painted
    (sub-rectangles outside their tile refused), so both paths find the same first fault.
    """
    _check_rect(screen, rx, ry, rw, rh)
    cdef HextileState state
    error = _hextile(buf, pos, screen, rx, ry, rw, rh, next_tile, background, foreground,
                     batch_tiles, &state)
    return state.pos, state.next_tile, state.background, state.foreground, error


cdef object _hextile(Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t rx, Py_ssize_t ry,
                     Py_ssize_t rw, Py_ssize_t rh, Py_ssize_t next_tile, uint32_t background,
                     uint32_t foreground, Py_ssize_t batch_tiles, HextileState *state):
    """``hextile`` without the checks of its arguments: fills ``state`` and returns None or an
    error tuple (no tuple made per rectangle in the update loop)."""
    cdef Py_ssize_t columns = (rw + 15) >> 4
    cdef Py_ssize_t rows = (rh + 15) >> 4
    cdef Py_ssize_t end = buf.shape[0]
    cdef Py_ssize_t last_width = rw - (columns - 1) * 16
    cdef Py_ssize_t last_height = rh - (rows - 1) * 16
    cdef Py_ssize_t bands_per_batch = max(1, batch_tiles // columns) if columns else 1
    cdef Py_ssize_t band = next_tile // columns if columns else 0
    cdef Py_ssize_t column = next_tile % columns if columns else 0
    cdef Py_ssize_t last_band, parsed, i, p, start, stop, count, tw, th, tx, ty, sx, sy, sw, sh
    cdef Py_ssize_t batch_pos, batch_band, batch_column, k, n
    cdef uint32_t bg, fg, colour
    cdef uint8_t mask, xy, wh
    cdef bint short = False
    while not short and band < rows:
        # Parse the batch: count its complete tiles, refuse unknown subencodings.
        batch_pos, batch_band, batch_column = pos, band, column
        bg, fg = background, foreground
        parsed = 0
        last_band = min(rows, band + bands_per_batch)
        while band < last_band:
            th = 16 if band < rows - 1 else last_height
            while column < columns and pos < end:
                mask = buf[pos]
                if mask & 1:
                    tw = 16 if column < columns - 1 else last_width
                    stop = pos + 1 + tw * th * 4
                    if stop > end:
                        break
                else:
                    if mask > 31:
                        state.pos, state.next_tile = pos, band * columns + column
                        state.background, state.foreground = background, foreground
                        return HEXTILE_SUBENCODING, mask
                    start = pos + 1 + 4 * ((mask >> 1) & 1) + 4 * ((mask >> 2) & 1) + (
                        (mask >> 3) & 1)
                    if start > end:
                        break
                    stop = start
                    if mask & 8:
                        count = buf[start - 1]
                        stop = start + count * (6 if mask & 16 else 2)
                        if stop > end:
                            break
                    if mask & 2:
                        background = _word(buf, pos + 1)
                        if mask & 4:
                            foreground = _word(buf, pos + 5)
                    elif mask & 4:
                        foreground = _word(buf, pos + 1)
                pos = stop
                column += 1
                parsed += 1
            if column < columns:
                short = True
                break
            band += 1
            column = 0

        # Paint it, walking the same tiles again.
        p = batch_pos
        k = batch_band
        i = batch_column
        for n in range(parsed):
            th = 16 if k < rows - 1 else last_height
            tw = 16 if i < columns - 1 else last_width
            tx = rx + 16 * i
            ty = ry + 16 * k
            mask = buf[p]
            if mask & 1:
                for sy in range(th):
                    _copy_row(screen, tx, ty + sy, buf, p + 1 + 4 * tw * sy, tw)
                p += 1 + 4 * tw * th
            else:
                start = p + 1
                if mask & 2:
                    bg = _word(buf, start)
                    start += 4
                if mask & 4:
                    fg = _word(buf, start)
                    start += 4
                _fill(screen, tx, ty, tw, th, bg)
                if mask & 8:
                    count = buf[start]
                    start += 1
                    for sy in range(count):
                        if mask & 16:
                            colour = _word(buf, start)
                            start += 4
                        else:
                            colour = fg
                        xy = buf[start]
                        wh = buf[start + 1]
                        start += 2
                        sx = xy >> 4
                        sw = (wh >> 4) + 1
                        sh = (wh & 15) + 1
                        if sx + sw > tw or (xy & 15) + sh > th:
                            state.pos, state.next_tile = p, k * columns + i
                            state.background, state.foreground = bg, fg
                            return HEXTILE_MISFIT, sx, xy & 15, sw, sh, tw, th
                        _fill(screen, tx + sx, ty + (xy & 15), sw, sh, colour)
                p = start
            i += 1
            if i == columns:
                i = 0
                k += 1
    state.pos, state.next_tile = pos, band * columns + column
    state.background, state.foreground = background, foreground
    return None


# --- ZRLE ---------------------------------------------------------------------------------------


cdef inline uint32_t _cpixel(Bytes data, Py_ssize_t p):
    """A 3-byte CPIXEL (blue, green, red) as an opaque pixel."""
    return data[p] | (<uint32_t>data[p + 1] << 8) | (<uint32_t>data[p + 2] << 16) | OPAQUE


def zrle(Bytes data, Screen screen, Py_ssize_t rx, Py_ssize_t ry, Py_ssize_t rw, Py_ssize_t rh):
    """Paint every 64x64 tile of a ZRLE rectangle from its inflated ``data``.

    Returns ``(used, error)``: the bytes the tiles took, and None or an error tuple.
    """
    _check_rect(screen, rx, ry, rw, rh)
    return _zrle(data, screen, rx, ry, rw, rh)


cdef tuple _zrle(Bytes data, Screen screen, Py_ssize_t rx, Py_ssize_t ry, Py_ssize_t rw,
                 Py_ssize_t rh):
    cdef Py_ssize_t size = data.shape[0]
    cdef Py_ssize_t p = 0
    cdef Py_ssize_t tx, ty, tw, th, pixels, count, length, row, col, i, bits, row_bytes, colours
    cdef Py_ssize_t shift, per_byte, value_mask, index, run_row, run_col
    cdef uint8_t sub, b
    cdef uint32_t colour
    cdef uint32_t palette[128]
    cdef Py_ssize_t line_row = 0
    cdef bint bad_single, in_stretch
    cdef Py_ssize_t stop
    # Every pixel written below lies in a tile of the rectangle, checked inside the screen here
    # once (``_set`` writes without a check of its own); reads of ``data`` stay checked.
    _check_rect(screen, rx, ry, rw, rh)
    for ty in range(ry, ry + rh, 64):
        th = min(64, ry + rh - ty)
        for tx in range(rx, rx + rw, 64):
            tw = min(64, rx + rw - tx)
            if p >= size:
                return p, (ZRLE_PAST_END,)
            sub = data[p]
            p += 1
            if sub == 1:
                if p + 3 > size:
                    return p, (ZRLE_PAST_END,)
                _fill(screen, tx, ty, tw, th, _cpixel(data, p))
                p += 3
            elif sub == 0:
                if p + 3 * tw * th > size:
                    return p, (ZRLE_PAST_END,)
                for row in range(ty, ty + th):
                    line_row = row
                    for col in range(tx, tx + tw):
                        _set(screen, line_row, col, _cpixel(data, p))
                        p += 3
            elif sub <= 16:
                colours = sub
                if p + 3 * colours > size:
                    return p, (ZRLE_PAST_END,)
                for i in range(colours):
                    palette[i] = _cpixel(data, p + 3 * i)
                p += 3 * colours
                bits = 1 if colours == 2 else (2 if colours <= 4 else 4)
                row_bytes = (tw * bits + 7) // 8
                if p + row_bytes * th > size:
                    return p, (ZRLE_PAST_END,)
                value_mask = (1 << bits) - 1
                per_byte = 8 // bits
                for row in range(th):
                    line_row = ty + row
                    col = 0
                    for i in range(row_bytes):  # each byte's pixels, leftmost in its top bits
                        b = data[p + i]
                        shift = 8
                        for count in range(min(per_byte, tw - col)):
                            shift -= bits
                            index = (b >> shift) & value_mask
                            if index >= colours:
                                return p, (ZRLE_NO_SUCH_COLOUR, colours)
                            _set(screen, line_row, tx + col + count, palette[index])
                        col += per_byte
                    p += row_bytes
            elif sub == 128 or sub >= 130:
                colours = sub - 128
                if colours:
                    if p + 3 * colours > size:
                        return p, (ZRLE_PAST_END,)
                    for i in range(colours):
                        palette[i] = _cpixel(data, p + 3 * i)
                    p += 3 * colours
                pixels = tw * th
                count = 0
                bad_single = False
                in_stretch = False
                stop = min(size, p + 2 * pixels)
                while count < pixels:
                    if colours:
                        if p >= size:
                            return p, (ZRLE_PAST_END,)
                        b = data[p]
                        p += 1
                        if b < 128:
                            # A single pixel. As in the Python path, which copies stretches of
                            # them at once, a bad index in a stretch of two or more is reported
                            # once the tile is read; a lone one at once.
                            if not in_stretch and p < stop and data[p] < 128:
                                in_stretch = True
                            if b >= colours:
                                if not in_stretch:
                                    return p, (ZRLE_NO_SUCH_COLOUR, colours)
                                bad_single = True
                                colour = 0
                            else:
                                colour = palette[b]
                            _set(screen, ty + count // tw, tx + count % tw, colour)
                            count += 1
                            continue
                        in_stretch = False
                        if b - 128 >= colours:
                            return p, (ZRLE_NO_SUCH_COLOUR, colours)
                        colour = palette[b - 128]
                    else:
                        if p + 4 > size:
                            return p, (ZRLE_PAST_END,)
                        colour = _cpixel(data, p)
                        p += 3
                    length = 1
                    while True:
                        if p >= size:
                            return p, (ZRLE_PAST_END,)
                        b = data[p]
                        p += 1
                        length += b
                        if length > pixels - count:
                            return p, (ZRLE_RUN_PAST_TILE, tw, th)
                        if b != 255:
                            break
                    run_row = count // tw
                    run_col = count % tw
                    for i in range(length):
                        _set(screen, ty + run_row, tx + run_col, colour)
                        run_col += 1
                        if run_col == tw:
                            run_col = 0
                            run_row += 1
                    count += length
                if bad_single:
                    return p, (ZRLE_NO_SUCH_COLOUR, colours)
            else:
                return p, (ZRLE_SUBENCODING, sub)
    return p, None


# --- zlib streams, through zlib's C API -----------------------------------------------------------

cdef extern from "zlib.h":
    ctypedef struct z_stream:
        unsigned char *next_in
        unsigned int avail_in
        unsigned char *next_out
        unsigned int avail_out
        const char *msg
    int inflateInit(z_stream *strm)
    int inflate(z_stream *strm, int flush)
    int inflateEnd(z_stream *strm)
    int inflateReset(z_stream *strm)
    int Z_OK, Z_STREAM_END, Z_NEED_DICT, Z_BUF_ERROR, Z_DATA_ERROR, Z_STREAM_ERROR
    int Z_VERSION_ERROR, Z_SYNC_FLUSH


#: Inflated data goes to one buffer the decoders share (they run one at a time, the GIL held
#: throughout); outputs larger than this get a buffer of their own, dropped after use.
cdef Py_ssize_t SCRATCH_SIZE = 1 << 20
cdef Py_ssize_t OUTPUT_STEP = 1 << 16  # a large output's buffer grows by doubling from this
cdef uint8_t[::1] _scratch = bytearray(OUTPUT_STEP)
cdef uint8_t[::1] _out = _scratch  # where the last ``Inflater.run`` put its output


cdef int _reserve(Py_ssize_t size, Py_ssize_t kept) except -1:
    """Make ``_out`` at least ``size`` bytes long, keeping its first ``kept`` bytes."""
    global _scratch, _out
    cdef uint8_t[::1] bigger
    if _out.shape[0] >= size:
        return 0
    if size <= SCRATCH_SIZE:
        if _scratch.shape[0] < size:
            _scratch = bytearray(max(size, min(2 * _scratch.shape[0], SCRATCH_SIZE)))
        bigger = _scratch
    else:
        bigger = bytearray(size)
    if kept:
        if kept > _out.shape[0] or kept > bigger.shape[0]:
            raise IndexError("kept past the buffer")
        if &bigger[0] != &_out[0]:
            memcpy(&bigger[0], &_out[0], kept)
    _out = bigger
    return 0


cdef class Inflater:
    """One of a connection's zlib streams (RFB's zlib, ZRLE and Tight's four each keep theirs
    for the whole connection), inflated through zlib's C API into a shared buffer: what Python's
    ``zlib.decompressobj().decompress(data, limit)`` does, without a Python call, a new bytes
    object and a memoryview per rectangle (the pure-Python decoders keep using ``zlib``).

    ``run`` follows CPython's ``zlib`` module to the letter, so that both paths see the same
    output, leave the same input behind and fail with the same words: inflate with
    ``Z_SYNC_FLUSH`` until the input is used up, the output reaches the limit, or the stream
    ends (what follows its end is ignored, and so is any later input: nothing more comes out);
    a zlib error is reported in the module's words ("Error -3 while decompressing data: ...").
    The input is read between two checked addresses; the output is written only within the
    buffer's length, which zlib is told."""

    cdef z_stream zst
    cdef bint ready
    cdef bint ended
    #: After ``run``: whether input was left unconsumed (the output reached the limit first),
    #: and zlib's words for a corrupt stream.
    cdef public bint tail
    cdef public str error

    def __cinit__(self):
        memset(&self.zst, 0, sizeof(z_stream))
        if inflateInit(&self.zst) != Z_OK:
            raise MemoryError("zlib could not start a stream")
        self.ready = True
        self.tail = False
        self.error = None

    def __dealloc__(self):
        if self.ready:
            inflateEnd(&self.zst)

    cdef int reset(self) except -1:
        """Start a new stream, as a new ``zlib.decompressobj()`` would (keeping the memory)."""
        if not self.ready or inflateReset(&self.zst) != Z_OK:
            raise MemoryError("zlib could not restart a stream")
        self.ended = False
        return 0

    cdef Py_ssize_t run(self, Bytes src, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t limit, bint aside=False, Py_ssize_t at=0) except -2:
        """Inflate ``src[start:end]`` into ``_out[at:at + n]`` (keeping ``_out[:at]``), ``n`` at
        most ``limit`` (at least 1); return ``n``, or -1 when the stream is corrupt (``error``
        says how). With ``aside`` (and a limit of 1: bytes that must inflate to nothing), the
        output byte goes to a byte of its own and ``_out`` is left as it was."""
        cdef Py_ssize_t produced = 0, room
        cdef unsigned int given
        cdef int err
        cdef unsigned char empty = 0
        cdef unsigned char sink = 0
        if (start < 0 or end < start or end > src.shape[0] or limit < 1 or at < 0
                or (aside and limit != 1)):
            raise IndexError("input outside its buffer")
        if end - start > 0xFFFFFFFF:
            raise IndexError("input too long for one zlib call")
        self.tail = False
        self.error = None
        if self.ended:
            return 0  # Python's zlib after the stream's end: nothing more comes out
        if not aside:
            _reserve(at + min(limit, OUTPUT_STEP), at)
        # Both addresses are taken through bounds-checked indexing (an empty input points at a
        # byte of our own, which zlib does not read).
        self.zst.next_in = <unsigned char *>&src[start] if end > start else &empty
        self.zst.avail_in = <unsigned int>(end - start)
        while produced < limit:
            if aside:
                given = 1
                self.zst.next_out = &sink
            else:
                if at + produced == _out.shape[0]:
                    _reserve(at + min(limit, max(2 * produced, OUTPUT_STEP)), at + produced)
                room = min(limit - produced, _out.shape[0] - at - produced)
                given = <unsigned int>min(room, 1 << 30)
                self.zst.next_out = &_out[at + produced]
            self.zst.avail_out = given
            err = inflate(&self.zst, Z_SYNC_FLUSH)
            produced += given - self.zst.avail_out
            if err == Z_STREAM_END:
                self.ended = True
                self.zst.avail_in = 0  # Python keeps it as ``unused_data``, which nobody reads
                break
            if err != Z_OK and err != Z_BUF_ERROR:
                self.error = _zlib_words(err, self.zst.msg)
                self.tail = self.zst.avail_in > 0
                return -1
            if self.zst.avail_out:
                break  # the input is used up
        self.tail = self.zst.avail_in > 0
        return produced


cdef Inflater _png_stream = Inflater()  # TightPNG's images, one after the other (reset each)


cdef str _zlib_words(int err, const char *msg):
    """CPython's ``zlib`` module's message for an error while decompressing."""
    cdef str detail
    if msg != NULL:
        detail = (<bytes>msg).decode("latin-1")[:200]
    elif err == Z_BUF_ERROR:
        detail = "incomplete or truncated stream"
    elif err == Z_STREAM_ERROR:
        detail = "inconsistent stream state"
    elif err == Z_DATA_ERROR:
        detail = "invalid input data"
    else:
        return f"Error {err} while decompressing data"
    return f"Error {err} while decompressing data: {detail}"


# --- Tight --------------------------------------------------------------------------------------


def tight_rgb(Bytes data, Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h,
              bint gradient):
    """Paint ``w * h`` red, green, blue pixels, or with ``gradient`` their gradient filter's
    differences: each component is its difference plus left + up - up-left (zero outside the
    rectangle) clamped to 0..255, modulo 256."""
    _check_rect(screen, x, y, w, h)
    _tight_rgb(data, screen, x, y, w, h, gradient)


cdef int _tight_rgb(Bytes data, Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w,
                     Py_ssize_t h, bint gradient) except -1:
    # Checked first (the rectangle inside the screen, the data long enough for it), so the
    # loops below, which stay within both, need no check per pixel.
    _check_rect(screen, x, y, w, h)
    if data.shape[0] < 3 * w * h:
        raise IndexError("too few pixels")
    cdef Py_ssize_t row, col, p = 0, c
    cdef int left[3]
    cdef int upleft[3]
    cdef int up, prediction, value[3]
    cdef Py_ssize_t line_row = 0
    cdef Py_ssize_t above_row = 0
    if not gradient:
        with cython.boundscheck(False):
            for row in range(h):
                line_row = y + row
                for col in range(x, x + w):
                    screen[line_row, col] = OPAQUE | (<uint32_t>data[p] << 16) | (
                        <uint32_t>data[p + 1] << 8) | data[p + 2]
                    p += 3
        return 0
    for row in range(h):
        line_row = y + row
        if row:
            above_row = y + row - 1
        for c in range(3):
            left[c] = 0
            upleft[c] = 0
        for col in range(x, x + w):
            for c in range(3):
                up = ((screen[above_row, col] >> (16 - 8 * c)) & 255) if row else 0
                prediction = left[c] + up - upleft[c]
                if prediction < 0:
                    prediction = 0
                elif prediction > 255:
                    prediction = 255
                value[c] = (prediction + data[p + c]) & 255
                left[c] = value[c]
                upleft[c] = up
            screen[line_row, col] = OPAQUE | (<uint32_t>value[0] << 16) | (<uint32_t>value[1] << 8) | (
                <uint32_t>value[2])
            p += 3
    return 0


cdef Py_ssize_t _tight_palette(Bytes data, Bytes palette, Py_ssize_t at, Py_ssize_t colours,
                               Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w,
                               Py_ssize_t h) except -1:
    """The palette's TPIXELs start at ``palette[at]``; returns the largest index past the
    palette, or 0 when there is none."""
    if colours < 2 or colours > 256 or at + 3 * colours > palette.shape[0]:
        raise IndexError("bad palette")
    cdef uint32_t table[256]
    cdef Py_ssize_t i, row, col, p = 0, row_bytes, largest = 0, bit, whole
    cdef uint8_t index, bits
    cdef Py_ssize_t line_row = 0
    for i in range(colours):
        table[i] = OPAQUE | (<uint32_t>palette[at + 3 * i] << 16) | (
            <uint32_t>palette[at + 3 * i + 1] << 8) | palette[at + 3 * i + 2]
    # The rectangle is checked inside the screen and the data long enough for it first, so
    # the loops below (which stay within both) need no check per pixel.
    _check_rect(screen, x, y, w, h)
    if colours == 2:
        row_bytes = (w + 7) // 8
        if data.shape[0] < row_bytes * h:
            raise IndexError("too few pixels")
        whole = w // 8  # bytes whose 8 pixels all lie in the row
        with cython.boundscheck(False):
            for row in range(h):
                line_row = y + row
                col = x
                for i in range(whole):
                    bits = data[p + i]
                    screen[line_row, col] = table[bits >> 7]
                    screen[line_row, col + 1] = table[(bits >> 6) & 1]
                    screen[line_row, col + 2] = table[(bits >> 5) & 1]
                    screen[line_row, col + 3] = table[(bits >> 4) & 1]
                    screen[line_row, col + 4] = table[(bits >> 3) & 1]
                    screen[line_row, col + 5] = table[(bits >> 2) & 1]
                    screen[line_row, col + 6] = table[(bits >> 1) & 1]
                    screen[line_row, col + 7] = table[bits & 1]
                    col += 8
                if whole < row_bytes:
                    bits = data[p + whole]
                    for bit in range(w - 8 * whole):
                        screen[line_row, col + bit] = table[(bits >> (7 - bit)) & 1]
                p += row_bytes
        return 0
    if data.shape[0] < w * h:
        raise IndexError("too few pixels")
    # Indices past the palette paint the table's zeros and are reported (the largest) once the
    # rectangle is read: the stream is refused then, whatever was painted.
    memset(&table[colours], 0, (256 - colours) * sizeof(uint32_t))
    with cython.boundscheck(False):
        for row in range(h):
            line_row = y + row
            for col in range(x, x + w):
                index = data[p]
                p += 1
                if index > largest:
                    largest = index
                screen[line_row, col] = table[index]
    return largest if largest >= colours else 0


# Outcomes of ``tight``.
TIGHT_INCOMPLETE = 1  # (TIGHT_INCOMPLETE, position to resume at)
TIGHT_NOT_BASIC = 2  # (TIGHT_NOT_BASIC, 0): JPEG, another PNG, an unknown method: for Python
TIGHT_SINGLE_COLOUR = 10  # (code, 0)
TIGHT_UNKNOWN_FILTER = 11  # (code, filter)
TIGHT_TOO_LONG = 12  # (code, length)
TIGHT_CORRUPT = 13  # (code, zlib's message)
TIGHT_WRONG_SIZE = 14  # (code, (bytes inflated, bytes expected))
TIGHT_NO_SUCH_COLOUR = 15  # (code, (largest index, colours))
TIGHT_IMAGE_TOO_LONG = 16  # (code, length): a PNG's

cdef Py_ssize_t MIN_TO_COMPRESS = 12  # shorter filtered data comes without zlib


def tight(object view, Py_ssize_t pos, Screen screen, Py_ssize_t x, Py_ssize_t y,
          Py_ssize_t w, Py_ssize_t h, list streams, Py_ssize_t slack, bint png_allowed):
    """Decode a Tight rectangle's fill, basic compression or (``png_allowed``, TightPNG) PNG,
    the control byte at ``pos``, as TightDecoder.decode does, step for step: the same waits
    for data, stream resets and faults in the same order. ``streams`` are its four zlib streams
    (reset in place). Returns the position after the rectangle (an int), or a tuple: an
    outcome below and its value."""
    _check_rect(screen, x, y, w, h)
    cdef Py_ssize_t end = _tight(view, view, pos, screen, x, y, w, h, streams, slack, png_allowed)
    return end if end >= 0 else _outcome


cdef object _outcome = None  # what the last ``_tight`` that returned -1 found


cdef inline Py_ssize_t _fail(int code, object value) except -2:
    global _outcome
    _outcome = (code, value)
    return -1


cdef Py_ssize_t _tight(object view, Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t x,
                   Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, list streams, Py_ssize_t slack,
                   bint png_allowed) except -2:
    """``tight`` without the check of its rectangle: the position after the rectangle, or -1
    with the outcome and its value in ``_outcome`` (no Python int or tuple per rectangle)."""
    cdef Py_ssize_t size = buf.shape[0]
    if pos >= size:
        return _fail(TIGHT_INCOMPLETE, pos)
    cdef uint8_t control = buf[pos]
    cdef uint8_t method = control >> 4
    cdef Py_ssize_t p = pos + 1, colours = 0, expected, length, end, palette_at = 0, i
    cdef Py_ssize_t inflated
    cdef uint8_t filter_id = 0
    cdef Inflater stream
    cdef Bytes data
    if method == 8:
        if pos + 4 > size:
            return _fail(TIGHT_INCOMPLETE, pos)
        _reset(streams, control)
        _fill(screen, x, y, w, h,
              OPAQUE | (<uint32_t>buf[pos + 1] << 16) | (<uint32_t>buf[pos + 2] << 8) | buf[pos + 3])
        return pos + 4
    if method == 10 and png_allowed:
        p, length = _compact_length(buf, p)
        if p < 0:
            return _fail(TIGHT_INCOMPLETE, pos)
        if length > 4 * w * h + slack:
            return _fail(TIGHT_IMAGE_TOO_LONG, length)
        end = p + length
        if end > size:
            return _fail(TIGHT_INCOMPLETE, pos)
        _reset(streams, control)
        if png(view[p:end], screen, x, y, w, h):
            return end
        return _fail(TIGHT_NOT_BASIC, 0)  # another kind of PNG, or a broken one: Python judges
    if method >= 8:
        return _fail(TIGHT_NOT_BASIC, 0)
    if method & 4:
        if p >= size:
            return _fail(TIGHT_INCOMPLETE, pos)
        filter_id = buf[p]
        p += 1
    if filter_id == 1:
        if p >= size:
            return _fail(TIGHT_INCOMPLETE, pos)
        colours = buf[p] + 1
        p += 1
        if colours < 2:
            return _fail(TIGHT_SINGLE_COLOUR, 0)
        if p + 3 * colours > size:
            return _fail(TIGHT_INCOMPLETE, pos)
        palette_at = p
        p += 3 * colours
        expected = (w + 7) // 8 * h if colours == 2 else w * h
    elif filter_id == 0 or filter_id == 2:
        expected = w * h * 3
    else:
        return _fail(TIGHT_UNKNOWN_FILTER, filter_id)
    if expected < MIN_TO_COMPRESS:
        end = p + expected
        if end > size:
            return _fail(TIGHT_INCOMPLETE, pos)
        _reset(streams, control)
        data = buf[p:end]
    else:
        p, length = _compact_length(buf, p)
        if p < 0:
            return _fail(TIGHT_INCOMPLETE, pos)
        if length > 4 * w * h + slack:
            return _fail(TIGHT_TOO_LONG, length)
        end = p + length
        if end > size:
            return _fail(TIGHT_INCOMPLETE, pos)
        _reset(streams, control)
        stream = <Inflater?>streams[method & 3]
        # One byte of room more than expected: zlib then consumes all the input (the flush
        # marker too), and too much data shows as a longer output.
        inflated = stream.run(buf, p, end, expected + 1)
        if inflated < 0:
            return _fail(TIGHT_CORRUPT, stream.error)
        if inflated != expected or stream.tail:
            return _fail(TIGHT_WRONG_SIZE, (inflated, expected))
        data = _out[:expected]
    if not expected:
        return end
    if filter_id == 1:
        largest = _tight_palette(data, buf, palette_at, colours, screen, x, y, w, h)
        if largest:
            return _fail(TIGHT_NO_SUCH_COLOUR, (largest, colours))
        return end
    _tight_rgb(data, screen, x, y, w, h, filter_id == 2)
    return end


cdef (Py_ssize_t, Py_ssize_t) _compact_length(Bytes buf, Py_ssize_t p):
    """Tight's compact length at ``p`` (1 to 3 bytes, 7 bits each, 8 in the third): the
    position after it and the length, or (-1, 0) when ``buf`` ends first."""
    cdef Py_ssize_t size = buf.shape[0], length
    if p >= size:
        return -1, 0
    length = buf[p] & 0x7F
    if not buf[p] & 0x80:
        return p + 1, length
    if p + 1 >= size:
        return -1, 0
    length |= <Py_ssize_t>(buf[p + 1] & 0x7F) << 7
    if not buf[p + 1] & 0x80:
        return p + 2, length
    if p + 2 >= size:
        return -1, 0
    return p + 3, length | (<Py_ssize_t>buf[p + 2] << 14)


cdef inline int _reset(list streams, uint8_t control) except -1:
    cdef int i
    if control & 15:
        for i in range(4):
            if control & (1 << i):
                streams[i] = Inflater()
    return 0


# --- PNG (TightPNG) -----------------------------------------------------------------------------

cdef bytes _PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


cdef inline bint _chunk_is(Bytes d, Py_ssize_t pos, const char *kind):
    """Whether the PNG chunk at ``pos`` (its length, then its type) is of that 4-letter type."""
    return (d[pos + 4] == kind[0] and d[pos + 5] == kind[1] and d[pos + 6] == kind[2]
            and d[pos + 7] == kind[3])


def png(object data, Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h):
    """Paint the kind of PNG QEMU makes (8-bit RGB or palette, not interlaced), any row filter;
    return False, having painted nothing or not all, for any other PNG and for a palette index
    past the palette: the Python path then decides (it hands such images to Pillow)."""
    _check_rect(screen, x, y, w, h)
    cdef const uint8_t[::1] d = data
    cdef Py_ssize_t i
    if d.shape[0] < 8:
        return False
    for i in range(8):
        if d[i] != _PNG_SIGNATURE[i]:
            return False
    cdef Py_ssize_t pos = 8, size = d.shape[0], length, body, header = -1, header_length = 0
    cdef Py_ssize_t plte = -1, plte_length = 0
    while pos + 8 <= size:
        length = _u32(d, pos)
        body = pos + 8
        if _chunk_is(d, pos, b"IHDR"):
            header = body
            header_length = min(length, size - body)
        elif _chunk_is(d, pos, b"PLTE"):
            plte = body
            plte_length = max(0, min(length, size - body))
        elif _chunk_is(d, pos, b"IEND"):
            break
        pos += 12 + length
    if header < 0 or header_length != 13:
        return False
    cdef Py_ssize_t width = _u32(d, header)
    cdef Py_ssize_t height = _u32(d, header + 4)
    if (width != w or height != h or d[header + 8] != 8 or d[header + 10] or d[header + 11]
            or d[header + 12] or not width or not height):
        return False
    cdef uint32_t table[256]
    cdef Py_ssize_t colours = 0, bpp
    if d[header + 9] == 3 and plte_length and plte_length % 3 == 0:
        bpp = 1
        colours = min(256, plte_length // 3)
        for i in range(colours):
            table[i] = OPAQUE | (<uint32_t>d[plte + 3 * i] << 16) | (
                <uint32_t>d[plte + 3 * i + 1] << 8) | d[plte + 3 * i + 2]
    elif d[header + 9] == 2:
        bpp = 3
    else:
        return False
    cdef Py_ssize_t stride = width * bpp + 1
    # The image data: the IDAT chunks' contents one after the other (each cut at the end of the
    # data, as a slice is), inflated as one stream that must end (its checksum right) with
    # exactly the image's bytes.
    cdef Py_ssize_t expected = height * stride, total = 0, got, chunk_end
    _png_stream.reset()
    pos = 8
    while pos + 8 <= size:
        length = _u32(d, pos)
        body = pos + 8
        if _chunk_is(d, pos, b"IDAT"):
            chunk_end = min(body + length, size)
            if body < chunk_end:
                got = _png_stream.run(d, body, chunk_end, expected + 1 - total, False, total)
                if got < 0:
                    return False
                total += got
                if _png_stream.ended or total > expected:
                    break
        elif _chunk_is(d, pos, b"IEND"):
            break
        pos += 12 + length
    if total != expected or not _png_stream.ended:
        return False
    # Two rows of work after the image data, in the same buffer.
    _reserve(expected + 2 * (stride - 1), expected)
    cdef const uint8_t[::1] raw = _out[:expected]
    cdef Py_ssize_t row, col
    for row in range(height):
        if raw[row * stride] > 4:
            return False
    cdef uint8_t[::1] cur = _out[expected : expected + stride - 1]
    cdef uint8_t[::1] prev = _out[expected + stride - 1 : expected + 2 * (stride - 1)]
    cdef uint8_t[::1] swap
    prev[:] = 0  # above the first row: zeros
    cdef int a, b, c, p, pa, pb, pc
    cdef uint8_t kind, index
    cdef Py_ssize_t line_row = 0
    cdef Py_ssize_t n = stride - 1, start
    for row in range(height):
        start = row * stride + 1
        kind = raw[start - 1]
        # The filters (PNG specification, 9.2): each byte adds a predictor from the byte a pixel
        # to its left (a), above (b), above-left (c), all zero outside the image.
        if kind == 0:
            for i in range(n):
                cur[i] = raw[start + i]
        elif kind == 1:
            for i in range(bpp):
                cur[i] = raw[start + i]
            for i in range(bpp, n):
                cur[i] = raw[start + i] + cur[i - bpp]
        elif kind == 2:
            for i in range(n):
                cur[i] = raw[start + i] + prev[i]
        elif kind == 3:
            for i in range(bpp):
                cur[i] = raw[start + i] + (prev[i] >> 1)
            for i in range(bpp, n):
                cur[i] = raw[start + i] + ((cur[i - bpp] + prev[i]) >> 1)
        else:
            for i in range(bpp):
                cur[i] = raw[start + i] + prev[i]  # a = c = 0: Paeth picks b
            for i in range(bpp, n):
                a = cur[i - bpp]
                b = prev[i]
                c = prev[i - bpp]
                p = a + b - c
                pa = abs(p - a)
                pb = abs(p - b)
                pc = abs(p - c)
                if pa <= pb and pa <= pc:
                    p = a
                elif pb <= pc:
                    p = b
                else:
                    p = c
                cur[i] = raw[start + i] + p
        line_row = y + row
        if bpp == 1:
            for col in range(width):
                index = cur[col]
                if index >= colours:
                    return False
                _set(screen, line_row, x + col, table[index])
        else:
            for col in range(width):
                _set(screen, line_row, x + col, OPAQUE | (<uint32_t>cur[3 * col] << 16) | (
                    <uint32_t>cur[3 * col + 1] << 8) | cur[3 * col + 2])
        swap = prev
        prev = cur
        cur = swap
    return True


# --- zlib ---------------------------------------------------------------------------------------

# Outcomes of ``zlib_rect`` (besides the position after the rectangle, an int).
ZLIB_INCOMPLETE = 1  # (code, position to resume at)
ZLIB_TOO_LONG = 2  # (code, length announced)
ZLIB_CORRUPT = 3  # (code, zlib's message)
ZLIB_WRONG_SIZE = 4  # (code, (bytes inflated, bytes expected))
ZLIB_TOO_MUCH = 5  # (code, 0): more data than the rectangle's pixels


def zlib_rect(object view, Py_ssize_t pos, Screen screen, Py_ssize_t x, Py_ssize_t y,
              Py_ssize_t w, Py_ssize_t h, object stream, Py_ssize_t slack):
    """Decode a zlib rectangle at ``pos`` with the connection's ``stream``, as ZlibDecoder
    does, step for step. Returns the position after it, or a tuple: an outcome above and its
    value."""
    _check_rect(screen, x, y, w, h)
    return _zlib_rect(view, view, pos, screen, x, y, w, h, stream, slack)


cdef object _zlib_rect(object view, Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t x,
                       Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, object stream_object,
                       Py_ssize_t slack):
    cdef Py_ssize_t size = buf.shape[0], length, end, expected = 4 * w * h, inflated
    cdef Inflater stream = <Inflater?>stream_object
    if pos + 4 > size:
        return ZLIB_INCOMPLETE, pos
    length = _u32(buf, pos)
    if length > expected + slack:
        return ZLIB_TOO_LONG, length
    end = pos + 4 + length
    if end > size:
        return ZLIB_INCOMPLETE, pos
    if not expected:
        # Nothing to paint, but any bytes still belong to the stream.
        if length:
            outcome = _inflate_nothing(stream, buf, pos + 4, end)
            if outcome is not None:
                return outcome
        return end
    inflated = stream.run(buf, pos + 4, end, expected)
    if inflated < 0:
        return ZLIB_CORRUPT, stream.error
    if inflated != expected:
        return ZLIB_WRONG_SIZE, (inflated, expected)
    cdef Bytes p = _out[:expected]
    if stream.tail:
        # Output stopped at ``expected`` bytes; what is left may only be a flush marker.
        outcome = _inflate_nothing(stream, buf, end - stream.zst.avail_in, end)
        if outcome is not None:
            return outcome
    cdef Py_ssize_t row
    for row in range(h):
        _copy_row(screen, x, y + row, p, 4 * w * row, w)
    return end


cdef object _inflate_nothing(Inflater stream, Bytes buf, Py_ssize_t start, Py_ssize_t end):
    """Feed bytes that must not produce pixels: None, or the outcome that they did."""
    cdef Py_ssize_t extra = stream.run(buf, start, end, 1, True)
    if extra < 0:
        return ZLIB_CORRUPT, stream.error
    if extra:
        return ZLIB_TOO_MUCH, 0
    return None


# --- ZRLE, the whole rectangle --------------------------------------------------------------------

# Outcomes of ``zrle_rect`` (besides the position after the rectangle, an int), with the
# ZRLE_* tile faults above, whose tuple it returns as it is.
ZRLE_INCOMPLETE = 20  # (code, position to resume at)
ZRLE_TOO_LONG = 21  # (code, length announced)
ZRLE_CORRUPT = 22  # (code, zlib's message)
ZRLE_TOO_MUCH = 23  # (code, 0): inflates to more than the rectangle can hold
ZRLE_LEFT_OVER = 24  # (code, bytes left after the last tile)


def zrle_rect(object view, Py_ssize_t pos, Screen screen, Py_ssize_t x, Py_ssize_t y,
              Py_ssize_t w, Py_ssize_t h, object stream, Py_ssize_t slack, Py_ssize_t tile_slack):
    """Decode a ZRLE rectangle at ``pos`` with the connection's ``stream``, as ZRLEDecoder does,
    step for step. Returns the position after it, or a tuple: an outcome and its value."""
    _check_rect(screen, x, y, w, h)
    return _zrle_rect(view, view, pos, screen, x, y, w, h, stream, slack, tile_slack)


cdef object _zrle_rect(object view, Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t x,
                       Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, object stream_object,
                       Py_ssize_t slack, Py_ssize_t tile_slack):
    cdef Py_ssize_t size = buf.shape[0], length, end, limit, inflated
    cdef Inflater stream = <Inflater?>stream_object
    if pos + 4 > size:
        return ZRLE_INCOMPLETE, pos
    length = _u32(buf, pos)
    if length > 4 * w * h + slack:
        return ZRLE_TOO_LONG, length
    end = pos + 4 + length
    if end > size:
        return ZRLE_INCOMPLETE, pos
    limit = 4 * w * h + tile_slack * (-(-w // 64)) * (-(-h // 64))
    # One byte more than the limit: more output means the data is too long, and zlib, never
    # short of room, consumes all the input (the flush marker included).
    inflated = stream.run(buf, pos + 4, end, limit + 1)
    if inflated < 0:
        return ZRLE_CORRUPT, stream.error
    if inflated > limit or stream.tail:
        return ZRLE_TOO_MUCH, 0
    used, error = _zrle(_out[:inflated], screen, x, y, w, h)
    if error is not None:
        return error
    if used != inflated:
        return ZRLE_LEFT_OVER, inflated - used
    return end


# --- An update's rectangles, one call for a run of them --------------------------------------------

from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC
from libc.string cimport memmove

# The data encodings ``rects`` decodes itself (RFB's numbers), and the bit of each in ``accepted``.
cdef int RAW = 0, COPYRECT = 1, HEXTILE = 5, ZLIB = 6, TIGHT = 7, ZRLE = 16, TIGHT_PNG = -260
ACCEPT_RAW = 1 << 0
ACCEPT_COPYRECT = 1 << 1
ACCEPT_HEXTILE = 1 << 5
ACCEPT_ZLIB = 1 << 6
ACCEPT_TIGHT = 1 << 7
ACCEPT_ZRLE = 1 << 16
ACCEPT_TIGHT_PNG = 1 << 17

# Why ``rects`` stopped (the third item of what it returns).
RECTS_DONE = 0  # the rectangles it was given are all decoded
RECTS_PYTHON = 1  # the rectangle whose header is at the position returned is for Python
RECTS_PAUSED = 2  # the deadline passed
RECTS_FAULT = 3  # a fault the decoder must put in words: (encoding, x, y, w, h, outcome)

_tuple_new = tuple.__new__

from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_DECREF
from cpython.tuple cimport PyTuple_SET_ITEM

cdef extern from "Python.h":
    PyObject *PyType_GenericAlloc(PyTypeObject *type, Py_ssize_t nitems) except NULL
    void PyObject_GC_UnTrack(void *op)

cdef object _plain_rect_type = None  # the rect type last checked to be a plain tuple subclass


cdef bint _plain_tuple_subclass(object rect_type) except -1:
    """Whether ``rect_type`` is a tuple subclass that adds no storage (a NamedTuple: no instance
    dict, no weak references, no slots), whose instances ``_new_rect`` may make as a tuple."""
    global _plain_rect_type
    if rect_type is _plain_rect_type:
        return True
    if not (isinstance(rect_type, type) and issubclass(rect_type, tuple)
            and rect_type.__basicsize__ == tuple.__basicsize__
            and rect_type.__itemsize__ == tuple.__itemsize__):
        return False
    _plain_rect_type = rect_type
    return True


cdef object _new_rect(object rect_type, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h):
    """``rect_type((x, y, w, h))`` made directly, and left out of the cycle collector's sight.

    A busy update appends a thousand of these to the dirty list, and made through
    ``tuple.__new__`` each costs a second tuple; tracked, they make the collector run every 700
    and walk them all. They hold four ints and their type, which refers to none of them, so they
    can be part of no reference cycle: untracking them is safe (CPython does the same for plain
    tuples of ints when it first meets them)."""
    cdef PyObject *made = PyType_GenericAlloc(<PyTypeObject *>rect_type, 4)
    cdef object rect = <object>made
    Py_DECREF(rect)  # ``rect`` holds the reference the allocation gave
    cdef Py_ssize_t values[4]
    cdef Py_ssize_t i
    cdef object item
    values[0], values[1], values[2], values[3] = x, y, w, h
    for i in range(4):
        item = values[i]
        Py_INCREF(item)  # the tuple takes this reference over
        PyTuple_SET_ITEM(rect, i, item)
    PyObject_GC_UnTrack(made)
    return rect


cdef inline double _now():
    cdef timespec t
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec + t.tv_nsec * 1e-9


cdef inline Py_ssize_t _u16(Bytes buf, Py_ssize_t p):
    return (<Py_ssize_t>buf[p] << 8) | buf[p + 1]


cdef bint _copy_rect(Screen screen, Py_ssize_t sx, Py_ssize_t sy, Py_ssize_t x, Py_ssize_t y,
                     Py_ssize_t w, Py_ssize_t h) except -1:
    """CopyRect: rows copied in the order that reads each source row before it is overwritten;
    False when the source lies outside the screen (Python refuses it)."""
    cdef Py_ssize_t row, first, last, step
    if sx + w > screen.shape[1] or sy + h > screen.shape[0]:
        return False
    _check_rect(screen, x, y, w, h)
    if not w or not h:
        return True
    if sy < y:
        first, last, step = h - 1, -1, -1
    else:
        first, last, step = 0, h, 1
    row = first
    while row != last:
        # Both rows are checked inside the screen above; memmove allows them to overlap.
        memmove(&screen[y + row, x], &screen[sy + row, sx], 4 * w)
        row += step
    return True


def rects(object view, Py_ssize_t pos, Screen screen, Py_ssize_t count, Py_ssize_t accepted,
          Py_ssize_t hextile_batch, object zlib_stream, object zrle_stream, list tight_streams,
          list tight_png_streams, Py_ssize_t slack, Py_ssize_t tile_slack, object jpeg,
          list dirty, object rect_type, double deadline):
    """Decode up to ``count`` rectangles of an update, headers and all, from ``view[pos:]``.

    Each rectangle painted is appended to ``dirty`` as a ``rect_type`` (unless empty). Returns
    ``(pos, done, why, last_encoding, fault)``: where the rectangles decoded end, how many they
    were, why it stopped (``RECTS_*``), the encoding of the last one, and for ``RECTS_FAULT``
    the fault. Anything it does not decode whole, it leaves to Python at the rectangle's header,
    having changed nothing Python would not change the same way again: a pseudo-encoding, an
    encoding not ``accepted`` or that it does not know, a rectangle outside the screen, one whose
    payload has not all arrived, a broken Hextile rectangle (Python paints the same tiles and
    finds the same fault), a JPEG that ``jpeg(data, w, h)`` (RGBX bytes or None) cannot decode.
    Faults found after a zlib stream has moved on come back as ``RECTS_FAULT`` instead, the
    header consumed. A negative ``deadline`` is none; otherwise it is a ``time.perf_counter()``
    value, checked after each rectangle as ``Connection`` does.
    """
    cdef Bytes buf = view
    cdef Py_ssize_t size = buf.shape[0], done = 0, start, p, x, y, w, h, sx, sy, end, length
    cdef Py_ssize_t bit, last = -1
    cdef int encoding
    cdef uint8_t control
    cdef HextileState tiles
    cdef bint plain = _plain_tuple_subclass(rect_type)
    cdef object result, error
    while done < count:
        start = pos
        if pos + 12 > size:
            return start, done, RECTS_PYTHON, last, None
        x = _u16(buf, pos)
        y = _u16(buf, pos + 2)
        w = _u16(buf, pos + 4)
        h = _u16(buf, pos + 6)
        encoding = <int>(<uint32_t>((<uint32_t>buf[pos + 8] << 24) | (<uint32_t>buf[pos + 9] << 16)
                                    | (<uint32_t>buf[pos + 10] << 8) | buf[pos + 11]))
        if encoding == TIGHT_PNG:
            bit = ACCEPT_TIGHT_PNG
        elif 0 <= encoding <= 16:
            bit = 1 << encoding
        else:
            bit = 0
        if not (accepted & bit) or x + w > screen.shape[1] or y + h > screen.shape[0]:
            return start, done, RECTS_PYTHON, last, None
        p = pos + 12
        if encoding == RAW:
            end = p + 4 * w * h
            if end > size:
                return start, done, RECTS_PYTHON, last, None
            for sy in range(h):
                _copy_row(screen, x, y + sy, buf, p + 4 * w * sy, w)
            pos = end
        elif encoding == COPYRECT:
            if p + 4 > size:
                return start, done, RECTS_PYTHON, last, None
            if not _copy_rect(screen, _u16(buf, p), _u16(buf, p + 2), x, y, w, h):
                return start, done, RECTS_PYTHON, last, None
            pos = p + 4
        elif encoding == HEXTILE:
            if not w or not h:
                pos = p
            else:
                error = _hextile(buf, p, screen, x, y, w, h, 0, 0xFF000000u, 0xFF000000u,
                                 hextile_batch, &tiles)
                if error is not None or tiles.next_tile < ((w + 15) >> 4) * ((h + 15) >> 4):
                    return start, done, RECTS_PYTHON, last, None
                pos = tiles.pos
        elif encoding == ZLIB or encoding == ZRLE:
            if encoding == ZLIB:
                result = _zlib_rect(view, buf, p, screen, x, y, w, h, zlib_stream, slack)
            else:
                result = _zrle_rect(view, buf, p, screen, x, y, w, h, zrle_stream, slack,
                                    tile_slack)
            if type(result) is not int:
                if result[0] == (ZLIB_INCOMPLETE if encoding == ZLIB else ZRLE_INCOMPLETE):
                    return start, done, RECTS_PYTHON, last, None
                return p, done + 1, RECTS_FAULT, encoding, (encoding, x, y, w, h, result)
            pos = result
        else:  # Tight, TightPNG
            if p >= size:
                return start, done, RECTS_PYTHON, last, None
            control = buf[p]
            if control >> 4 == 9:
                end = _tight_jpeg(view, buf, p, screen, x, y, w, h,
                                  tight_streams if encoding == TIGHT else tight_png_streams,
                                  slack, jpeg)
                if end < 0:
                    return start, done, RECTS_PYTHON, last, None
            else:
                end = _tight(view, buf, p, screen, x, y, w, h,
                             tight_streams if encoding == TIGHT else tight_png_streams, slack,
                             encoding == TIGHT_PNG)
                if end < 0:
                    if _outcome[0] == TIGHT_INCOMPLETE or _outcome[0] == TIGHT_NOT_BASIC:
                        # Nothing painted for good, the streams reset (if at all) as Python
                        # would reset them again: Python takes the rectangle from its header.
                        return start, done, RECTS_PYTHON, last, None
                    return p, done + 1, RECTS_FAULT, encoding, (encoding, x, y, w, h, _outcome)
            pos = end
        done += 1
        last = encoding
        if w and h:
            dirty.append(_new_rect(rect_type, x, y, w, h) if plain
                         else _tuple_new(rect_type, (x, y, w, h)))
        if deadline >= 0 and done < count and _now() > deadline:
            return pos, done, RECTS_PAUSED, last, None
    return pos, done, RECTS_DONE, last, None


cdef Py_ssize_t _tight_jpeg(object view, Bytes buf, Py_ssize_t pos, Screen screen, Py_ssize_t x,
                        Py_ssize_t y, Py_ssize_t w, Py_ssize_t h, list streams,
                        Py_ssize_t slack, object jpeg) except -2:
    """A Tight JPEG rectangle, the control byte at ``pos``: the position after it, or -1 for
    Python to take it from its header (not all here, too long, or ``jpeg`` cannot decode it;
    resetting the streams again there changes nothing)."""
    cdef Py_ssize_t p, length, end
    p, length = _compact_length(buf, pos + 1)
    if p < 0 or length > 4 * w * h + slack:
        return -1
    end = p + length
    if end > buf.shape[0]:
        return -1
    _reset(streams, buf[pos])
    _check_rect(screen, x, y, w, h)
    if _jpeg_into(buf, p, end, screen, x, y, w, h):
        return end
    # Anything libjpeg did not decode cleanly here goes through Pillow, the reference's decoder,
    # which repaints the whole rectangle or leaves it to Python to refuse.
    rgbx = jpeg(bytes(view[p:end]), w, h)
    if rgbx is None:
        return -1
    _paint_rgbx(rgbx, screen, x, y, w, h)
    return end


# --- JPEG, straight into the screen with libjpeg(-turbo) -------------------------------------------

cdef extern from *:
    """
    /* One JPEG decoder for the module (the GIL is held throughout a decode), whose errors come
       back here through setjmp/longjmp as libjpeg requires, never past Cython's frames. */
    #include <stdio.h>
    #include <string.h>
    #include <setjmp.h>
    #include <jpeglib.h>

    typedef struct {
        struct jpeg_error_mgr pub;
        jmp_buf escape;
    } ovhkvm_jpeg_errors;

    typedef struct {
        struct jpeg_decompress_struct cinfo;
        ovhkvm_jpeg_errors errors;
        int ready;
    } ovhkvm_jpeg;

    static void ovhkvm_jpeg_fail(j_common_ptr cinfo) {
        longjmp(((ovhkvm_jpeg_errors *)cinfo->err)->escape, 1);
    }

    static void ovhkvm_jpeg_silent(j_common_ptr cinfo) {
        (void)cinfo;  /* warnings are counted (num_warnings), not printed */
    }

    static int ovhkvm_jpeg_open(ovhkvm_jpeg *j) {
        memset(j, 0, sizeof *j);
        j->cinfo.err = jpeg_std_error(&j->errors.pub);
        j->errors.pub.error_exit = ovhkvm_jpeg_fail;
        j->errors.pub.output_message = ovhkvm_jpeg_silent;
        if (setjmp(j->errors.escape))
            return -1;
        jpeg_create_decompress(&j->cinfo);
        j->ready = 1;
        return 0;
    }

    /* Decode a JPEG of exactly w x h pixels, colour or grey, into ``rows`` (h rows of w blue,
       green, red, 0xFF pixels each). 0: done, without a warning; 1: not such a JPEG, or
       libjpeg failed or warned (rows may be partly written): the caller's other decoder
       judges. */
    static int ovhkvm_jpeg_decode(ovhkvm_jpeg *j, const unsigned char *data,
                                  unsigned long length, unsigned char **rows,
                                  unsigned int w, unsigned int h) {
        JDIMENSION line;
        if (!j->ready)
            return 1;
        if (setjmp(j->errors.escape)) {
            jpeg_abort_decompress(&j->cinfo);
            return 1;
        }
        j->errors.pub.num_warnings = 0;
        jpeg_mem_src(&j->cinfo, data, length);
        if (jpeg_read_header(&j->cinfo, TRUE) != JPEG_HEADER_OK
            || j->cinfo.image_width != w || j->cinfo.image_height != h
            || (j->cinfo.jpeg_color_space != JCS_YCbCr
                && j->cinfo.jpeg_color_space != JCS_GRAYSCALE
                && j->cinfo.jpeg_color_space != JCS_RGB)) {
            jpeg_abort_decompress(&j->cinfo);
            return 1;
        }
        j->cinfo.out_color_space = JCS_EXT_BGRA;
        jpeg_start_decompress(&j->cinfo);
        if (j->cinfo.output_width != w || j->cinfo.output_height != h
            || j->cinfo.output_components != 4) {
            jpeg_abort_decompress(&j->cinfo);
            return 1;
        }
        while (j->cinfo.output_scanline < h) {
            line = j->cinfo.output_scanline;
            if (jpeg_read_scanlines(&j->cinfo, &rows[line], h - line) == 0) {
                jpeg_abort_decompress(&j->cinfo);
                return 1;
            }
        }
        jpeg_finish_decompress(&j->cinfo);
        return j->errors.pub.num_warnings ? 1 : 0;
    }
    """
    ctypedef struct ovhkvm_jpeg:
        pass
    int ovhkvm_jpeg_open(ovhkvm_jpeg *j)
    int ovhkvm_jpeg_decode(ovhkvm_jpeg *j, const unsigned char *data, unsigned long length,
                           unsigned char **rows, unsigned int w, unsigned int h)

from cpython.mem cimport PyMem_Malloc, PyMem_Free

cdef ovhkvm_jpeg _jpeg
ovhkvm_jpeg_open(&_jpeg)  # on failure it stays unready: every JPEG goes to Pillow


def jpeg(Bytes data, Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w, Py_ssize_t h):
    """Decode the JPEG ``data`` into the screen's rectangle with libjpeg, as the update loop
    does; whether it did (False: another size, neither colour nor grey, a warning or an error,
    with nothing or part of the rectangle painted: Pillow judges)."""
    _check_rect(screen, x, y, w, h)
    return _jpeg_into(data, 0, data.shape[0], screen, x, y, w, h)


cdef bint _jpeg_into(Bytes buf, Py_ssize_t start, Py_ssize_t end, Screen screen, Py_ssize_t x,
                     Py_ssize_t y, Py_ssize_t w, Py_ssize_t h) except -1:
    """Decode the JPEG ``buf[start:end]`` straight into the screen's rectangle (checked inside
    it by the caller): whether it was, pixel for pixel as Pillow decodes it (the same libjpeg
    settings: its default DCT and upsampling). libjpeg writes each row through an address taken
    with a bounds check, ``w`` pixels from there, and reads the JPEG between two checked ones."""
    cdef Py_ssize_t row
    cdef int outcome
    if w <= 0 or h <= 0 or end <= start or start < 0 or end > buf.shape[0]:
        return False
    if x < 0 or y < 0 or x + w > screen.shape[1] or y + h > screen.shape[0]:
        raise IndexError("rectangle outside the screen")
    cdef unsigned char **rows = <unsigned char **>PyMem_Malloc(h * sizeof(unsigned char *))
    if rows == NULL:
        raise MemoryError()
    try:
        for row in range(h):
            rows[row] = <unsigned char *>&screen[y + row, x]
        outcome = ovhkvm_jpeg_decode(&_jpeg, &buf[start], <unsigned long>(end - start), rows,
                                     <unsigned int>w, <unsigned int>h)
    finally:
        PyMem_Free(rows)
    return outcome == 0


cdef int _paint_rgbx(Bytes data, Screen screen, Py_ssize_t x, Py_ssize_t y, Py_ssize_t w,
                     Py_ssize_t h) except -1:
    """Paint ``w * h`` pixels given as red, green, blue and an unused byte."""
    if data.shape[0] < 4 * w * h:
        raise IndexError("too few pixels")
    cdef Py_ssize_t row, col, p = 0
    for row in range(y, y + h):
        for col in range(x, x + w):
            screen[row, col] = OPAQUE | (<uint32_t>data[p] << 16) | (<uint32_t>data[p + 1] << 8) | (
                data[p + 2])
            p += 4
    return 0
