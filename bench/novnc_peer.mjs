// noVNC's own decoders, fed from Node the rectangles bench/decode.py recorded: the peer column.
//
// Usage: node bench/novnc_peer.mjs NOVNC_CORE_DIR RECTS_FILE [RUNS]
//
// RECTS_FILE (written by bench/decode.py): u16 width, u16 height, then messages, each a u32
// count of rectangles and for each one u16 x, y, width, height, i32 encoding, u32 payload
// length, payload. A message holds the data rectangles one recorded chunk completed; it goes
// into noVNC's receive queue (its Websock class) at once, and each rectangle is decoded by
// noVNC's decoder class for its encoding (core/decoders/*.js), as noVNC's RFB does.
//
// The display stands in for noVNC's canvas: fillRect and blitImage write into a width x height
// RGBA buffer, row by row (what putImageData does in a browser, without the compositing).
// JPEG and PNG rectangles are handed to the browser's image decoder in noVNC (imageRect): here
// they are counted and their bytes returned, and bench/decode.py adds the C cost of decoding
// them (the same floor as for our decoders), marking the figure as an estimate.
//
// Prints one JSON object: CPU seconds (user + system, best of RUNS), rectangles, pixels, the
// screen's digest (sha256 of its B, G, R bytes, as bench/decode.py computes ours), images.

import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [coreDir, rectsFile, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 3);

// noVNC's logging looks for the browser's ``window``, and its Websock for WebSocket's states
// (Node 20 has no WebSocket; no socket is opened here).
globalThis.window ??= globalThis;
globalThis.WebSocket ??= { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };

const load = async (name) =>
    (await import(pathToFileURL(path.join(coreDir, name)).href)).default;

const Websock = await load("websock.js");
const DECODERS = {
    0: await load("decoders/raw.js"),
    1: await load("decoders/copyrect.js"),
    2: await load("decoders/rre.js"),
    5: await load("decoders/hextile.js"),
    6: await load("decoders/zlib.js"),
    7: await load("decoders/tight.js"),
    16: await load("decoders/zrle.js"),
    [-260]: await load("decoders/tightpng.js"),
};

class BufferDisplay {
    constructor(width, height) {
        this.width = width;
        this.height = height;
        this.rgba = new Uint8Array(width * height * 4);
        this.words = new Uint32Array(this.rgba.buffer);
        this.images = { jpeg: 0, png: 0 };
        this.imageBytes = [];
    }

    fillRect(x, y, width, height, color) {
        // color: [r, g, b] (noVNC's decoders pass 3 or 4 bytes).
        const word = (255 << 24 | color[2] << 16 | color[1] << 8 | color[0]) >>> 0;
        for (let row = y; row < y + height; row++) {
            const start = row * this.width + x;
            this.words.fill(word, start, start + width);
        }
    }

    blitImage(x, y, width, height, arr, offset) {
        for (let row = 0; row < height; row++) {
            const from = offset + row * width * 4;
            this.rgba.set(arr.subarray(from, from + width * 4), ((y + row) * this.width + x) * 4);
        }
    }

    copyImage(oldX, oldY, newX, newY, width, height) {
        const copy = new Uint8Array(width * height * 4);
        for (let row = 0; row < height; row++) {
            const at = ((oldY + row) * this.width + oldX) * 4;
            copy.set(this.rgba.subarray(at, at + width * 4), row * width * 4);
        }
        this.blitImage(newX, newY, width, height, copy, 0);
    }

    imageRect(x, y, width, height, mime, arr) {
        this.images[mime === "image/jpeg" ? "jpeg" : "png"] += 1;
        this.imageBytes.push(arr.length);
    }

    digest(swap) {
        // noVNC reads Raw, Hextile, zlib and ZRLE pixels in its own pixel format (red first in
        // memory), so the recording's B, G, R bytes land as they came; Tight's TPIXELs are red,
        // green, blue whatever the format, and land swapped: ``swap`` puts them back.
        const bgr = new Uint8Array(this.width * this.height * 3);
        const [b, r] = swap ? [2, 0] : [0, 2];
        for (let i = 0, j = 0; i < this.rgba.length; i += 4, j += 3) {
            bgr[j] = this.rgba[i + b];
            bgr[j + 1] = this.rgba[i + 1];
            bgr[j + 2] = this.rgba[i + r];
        }
        return createHash("sha256").update(bgr).digest("hex").slice(0, 16);
    }
}

function parse(file) {
    const data = readFileSync(file);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const width = view.getUint16(0);
    const height = view.getUint16(2);
    const messages = [];
    let pos = 4;
    while (pos < data.length) {
        const count = view.getUint32(pos);
        pos += 4;
        const rects = [];
        const start = pos;
        let payloadBytes = 0;
        for (let i = 0; i < count; i++) {
            const rect = {
                x: view.getUint16(pos),
                y: view.getUint16(pos + 2),
                width: view.getUint16(pos + 4),
                height: view.getUint16(pos + 6),
                encoding: view.getInt32(pos + 8),
                length: view.getUint32(pos + 12),
            };
            pos += 16 + rect.length;
            payloadBytes += rect.length;
            rects.push(rect);
        }
        // The payloads alone, one after the other, as the receive queue will hold them.
        const payloads = new Uint8Array(payloadBytes);
        let at = 0;
        let p = start;
        for (const rect of rects) {
            p += 16;
            payloads.set(data.subarray(p, p + rect.length), at);
            at += rect.length;
            p += rect.length;
        }
        messages.push({ rects, payloads });
    }
    return { width, height, messages };
}

function replay(recording) {
    const sock = new Websock();
    sock.init();
    const display = new BufferDisplay(recording.width, recording.height);
    const decoders = {};
    for (const [encoding, Decoder] of Object.entries(DECODERS)) {
        decoders[encoding] = new Decoder();
    }
    let rects = 0;
    let pixels = 0;
    const started = process.cpuUsage();
    for (const message of recording.messages) {
        sock._recvMessage({ data: message.payloads });
        for (const rect of message.rects) {
            const decoder = decoders[rect.encoding];
            if (decoder === undefined) {
                throw new Error(`noVNC has no decoder for encoding ${rect.encoding}`);
            }
            const before = sock.rQlen();
            if (!decoder.decodeRect(rect.x, rect.y, rect.width, rect.height, sock, display, 24)) {
                throw new Error("noVNC's decoder wanted more data than the rectangle's payload");
            }
            if (before - sock.rQlen() !== rect.length) {
                throw new Error(
                    `noVNC's decoder read ${before - sock.rQlen()} bytes of a ${rect.length}-byte payload`,
                );
            }
            rects += 1;
            pixels += rect.width * rect.height;
        }
    }
    const used = process.cpuUsage(started);
    return { seconds: (used.user + used.system) / 1e6, rects, pixels, display };
}

const recording = parse(rectsFile);
let best = null;
for (let run = 0; run < RUNS; run++) {
    const result = replay(recording);
    if (best === null || result.seconds < best.seconds) {
        best = result;
    }
}
console.log(
    JSON.stringify({
        seconds: best.seconds,
        rects: best.rects,
        pixels: best.pixels,
        digest: best.display.digest(false),
        digest_swapped: best.display.digest(true),
        images: best.display.images,
        node: process.version,
    }),
);
