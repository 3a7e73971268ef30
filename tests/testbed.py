"""The real-server test bed: QEMU's own VNC server in front of a tiny Linux guest, and websockify.

Nothing here imports the project: these helpers drive real servers, so that tests can check the
client against them (see DESIGN.md, "Test bed").

- `QemuGuest`: `qemu-system-x86_64` (TCG) booting the guest that `tools/testbed/build-guest.sh`
  makes, with its VNC server on 127.0.0.1, a QMP socket and the guest's serial port in a file.
  Modes: `console` (tty1 with a console keymap; every byte that tty1 receives comes back on the
  serial port as a `KEY xx` line), `testcard` (1920x1080 frame buffer showing
  `tests/e2e/testcard.py`'s card, constant), `scroll` (a scrolling coloured log and a photo).
- `Websockify`: Debian's websockify with a token file (optionally TLS with a fresh CA), standing in
  for nova's noVNC proxy.
- `free_port()`, `build_guest()`, `read_ppm()`.

Failures raise `BedError` (with the tail of the guest's serial log and QEMU's output); they never
skip. Missing tools: run `tools/testbed/install-deps.sh` (as root), then
`tools/testbed/build-guest.sh`.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools" / "testbed"
QEMU_BINARY = "qemu-system-x86_64"
WEBSOCKIFY_BINARY = "websockify"
MODES = ("console", "testcard", "scroll", "screen", "grub")
SCREEN_ROOT_PASSWORD = "ovh-rescue-42"  # the screen mode's root (tools/testbed/build-guest.sh)
TESTCARD_PASSWORD = "s3cret!x"  # the VNC password of the testcard_guest_password fixture
# The keymaps that the guest carries (tools/testbed/build-guest.sh), by their xkb name.
KEYMAPS = {
    "us": "us",
    "us(intl)": "us-intl",
    "gb": "gb",
    "ie": "ie",
    "fr": "fr",
    "fr(oss)": "fr-oss",
    "fr(bepo)": "fr-bepo",
    "be": "be",
    "ch": "ch",
    "ch(fr)": "ch-fr",
    "de": "de",
    "es": "es",
    "latam": "latam",
    "it": "it",
    "pt": "pt",
    "br": "br",
    "ca": "ca",
    "ca(multix)": "ca-multix",
    "nl": "nl",
    "pl": "pl",
    "cz": "cz",
    "fi": "fi",
    "se": "se",
    "no": "no",
    "dk": "dk",
    "lt": "lt",
}
# Kernel parameters that only make the boot faster or quieter (none changes what is tested).
_FAST_BOOT = (
    "quiet acpi=off mitigations=off lsm=capability cryptomgr.notests 8250.nr_uarts=1 consoleblank=0"
)
_KEY_LINE = re.compile(r"^KEY ([0-9a-f]{2})\r?$", re.MULTILINE)
_HINT_INSTALL = "run tools/testbed/install-deps.sh (as root)"


class BedError(RuntimeError):
    """A test-bed server failed to start or behave; the message carries its logs."""


def testbed_dir() -> Path:
    """Where build-guest.sh puts the guest: $OVHKVM_TESTBED_DIR, else <repo>/.testbed."""
    env = os.environ.get("OVHKVM_TESTBED_DIR")
    return Path(env) if env else REPO / ".testbed"


def keymap_name(layout: str) -> str:
    """The guest's keymap file name for an xkb layout: `fr(oss)` → `fr-oss`; names pass through."""
    if layout in KEYMAPS:
        return KEYMAPS[layout]
    if layout in KEYMAPS.values():
        return layout
    raise ValueError(f"the test guest has no keymap for {layout!r}; it has {sorted(KEYMAPS)}")


_built: dict[Path, float] = {}
_build_lock = threading.Lock()


def build_guest(outdir: Path | None = None, *, timeout: float = 900.0) -> Path:
    """Run tools/testbed/build-guest.sh once per process (it is quick when up to date)."""
    outdir = Path(outdir) if outdir else testbed_dir()
    with _build_lock:
        if outdir in _built:
            return outdir
        for tool in (QEMU_BINARY, "ckbcomp", "loadkeys", "gcc", "cpio"):
            if shutil.which(tool) is None:
                raise BedError(f"{tool} is not installed: {_HINT_INSTALL}")
        start = time.monotonic()
        proc = subprocess.run(
            ["bash", str(TOOLS / "build-guest.sh"), str(outdir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise BedError(
                f"tools/testbed/build-guest.sh failed (status {proc.returncode}):\n{proc.stdout}"
            )
        _built[outdir] = time.monotonic() - start
    return outdir


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now (the kernel's choice, so above 5900)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(none)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _wait_port(host: str, port: int, deadline: float, alive) -> bool:
    while time.monotonic() < deadline:
        if not alive():
            return False
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


# --- processes that must not outlive the tests ------------------------------------------------

_live: weakref.WeakSet[Any] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for obj in list(_live):
        with contextlib.suppress(Exception):
            obj.close()


try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _libc = None


def _popen(args: list[str], log: Path) -> subprocess.Popen:
    """Start a child whose output goes to `log`; on Linux it is killed if this thread dies."""
    preexec = None
    if _libc is not None and threading.current_thread() is threading.main_thread():

        def preexec() -> None:  # runs in the child, between fork and exec
            _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    with open(log, "wb") as out:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
            close_fds=True,
        )


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# --- QMP ---------------------------------------------------------------------------------------


class _Qmp:
    """A minimal QMP client over a unix socket (one command at a time)."""

    def __init__(self, path: Path, deadline: float, alive) -> None:
        self.events: list[dict] = []
        self._lock = threading.Lock()
        last_error: Exception | None = None
        while True:
            if not alive():
                raise BedError(f"QEMU exited before its QMP socket opened ({last_error})")
            if time.monotonic() > deadline:
                raise BedError(f"QMP socket {path} did not open ({last_error})")
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(30)
                sock.connect(str(path))
                break
            except OSError as e:
                last_error = e
                sock.close()
                time.sleep(0.05)
        self._sock = sock
        self._file = sock.makefile("rwb")
        greeting = self._read()
        if "QMP" not in greeting:
            raise BedError(f"unexpected QMP greeting {greeting!r}")
        self.command("qmp_capabilities")

    def _read(self) -> dict:
        line = self._file.readline()
        if not line:
            raise BedError("QMP connection closed (did QEMU exit?)")
        return json.loads(line)

    def command(self, name: str, args: dict | None = None) -> Any:
        with self._lock:
            msg: dict[str, Any] = {"execute": name}
            if args:
                msg["arguments"] = args
            self._file.write(json.dumps(msg).encode() + b"\n")
            self._file.flush()
            while True:
                reply = self._read()
                if "event" in reply:
                    self.events.append(reply)
                    continue
                if "error" in reply:
                    err = reply["error"]
                    raise BedError(f"QMP {name} failed: {err.get('class')}: {err.get('desc')}")
                return reply.get("return")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._sock.close()


# --- the QEMU guest -------------------------------------------------------------------------------


class QemuGuest:
    """A QEMU VM running the test guest, its VNC server on `host`:`port`.

    It starts at construction and is ready (OVHKVM-READY seen on the serial port) when the
    constructor returns (with wait=False: once `wait_ready()` returns, so that several guests can
    boot at once); use it as a context manager or call `close()`. QEMU's VNC port is known (and
    the password set) as soon as the constructor returns.

    - mode: "console" (keyboard echo), "testcard" (constant test card), "scroll" (busy screen),
      "screen" (a text console driven through a second serial port: `show`, `screen_memory`,
      `load_font`, `start_login`; pass extra_append="vga=0x392" for fbcon at 1920x1080),
      "grub" (GRUB's boot menu on its graphical terminal, 1024x768: tools/testbed/grub.cfg).
    - keymap: the guest console's layout, an xkb name (`fr`, `ch(fr)`) or a keymap file name
      (`ch-fr`); see `KEYMAPS`.
    - password: enables VNC authentication (`password=on`) and sets it through QMP.
    - qemu_keymap: QEMU's `-k` (e.g. "fr"), the server keymap; None: no `-k`.
    - lossy: `lossy=on` (QEMU may then send JPEG in Tight).
    - extra_vnc_options: appended to the `-vnc` option, e.g. "share=force-shared".
    """

    def __init__(
        self,
        mode: str = "console",
        keymap: str = "us",
        password: str | None = None,
        qemu_keymap: str | None = None,
        lossy: bool = False,
        extra_vnc_options: str = "",
        *,
        directory: Path | None = None,
        boot_timeout: float = 60.0,
        memory_mb: int = 256,
        extra_append: str = "",
        extra_args: tuple[str, ...] | list[str] = (),
        wait: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.keymap = keymap_name(keymap)
        self.password = password
        self.host = "127.0.0.1"
        self.port = 0
        self.boot_seconds = 0.0
        self._proc: subprocess.Popen | None = None
        self._qmp: _Qmp | None = None
        self._closed = False
        self._tmp = Path(tempfile.mkdtemp(prefix="ovhkvm-guest-"))
        self._serial = self._tmp / "serial.log"
        self._qemu_log = self._tmp / "qemu.log"
        self._qmp_path = self._tmp / "qmp.sock"
        self._command_path = self._tmp / "command.sock"
        self._command: socket.socket | None = None
        self._command_buffer = b""
        _live.add(self)

        qemu = shutil.which(QEMU_BINARY)
        if qemu is None:
            self.close()
            raise BedError(f"{QEMU_BINARY} is not installed: {_HINT_INSTALL}")
        directory = Path(directory) if directory else testbed_dir()
        kernel, initrd = directory / "vmlinuz", directory / "initrd.img"
        if mode == "grub":
            kernel = initrd = directory / "grub.iso"
        if not (kernel.is_file() and initrd.is_file()):
            self.close()
            raise BedError(
                f"no guest in {directory} ({kernel.name}): run tools/testbed/build-guest.sh"
            )

        append = (
            f"console=ttyS0 panic=-1 {_FAST_BOOT} ovhkvm.mode={mode} ovhkvm.keymap={self.keymap}"
        )
        if mode in ("testcard", "scroll"):
            append += " vga=0x392"  # VBE mode 0x192: vesafb 1920x1080x32
        if mode == "screen":
            append += " 8250.nr_uarts=2"  # ttyS1 carries the commands
        if extra_append:
            append += " " + extra_append
        boot = ["-kernel", str(kernel), "-initrd", str(initrd), "-append", append]
        if mode == "grub":  # GRUB's own boot menu, from a CD image (grub-mkrescue)
            boot = ["-cdrom", str(kernel), "-boot", "d"]

        display = free_port() - 5900
        vnc = f"{self.host}:{display},to={display + 100}"
        if password is not None:
            vnc += ",password=on"
        if lossy:
            vnc += ",lossy=on"
        if extra_vnc_options:
            vnc += "," + extra_vnc_options.lstrip(",")
        args = [
            qemu,
            "-machine", "pc",
            "-accel", "tcg",
            "-m", str(memory_mb),
            "-nodefaults",
            "-no-user-config",
            "-display", "none",
            "-vga", "std",
            *boot,
            "-vnc", vnc,
            "-serial", f"file:{self._serial}",
            "-qmp", f"unix:{self._qmp_path},server=on,wait=off",
            "-no-reboot",
        ]  # fmt: skip
        if mode == "screen":
            args += ["-serial", f"unix:{self._command_path},server=on,wait=off"]
        if qemu_keymap:
            args += ["-k", qemu_keymap]
        args += list(extra_args)
        self.args = args

        self._start = time.monotonic()
        self._deadline = self._start + boot_timeout
        self._ready = False
        try:
            self._proc = _popen(args, self._qemu_log)
            self._qmp = _Qmp(self._qmp_path, self._deadline, self.alive)
            if password is not None:
                self._set_password(password)
            self.port = int(self.qmp("query-vnc")["service"])
        except BaseException:
            self.close()
            raise
        if wait:
            self.wait_ready()

    def wait_ready(self) -> QemuGuest:
        """Wait for OVHKVM-READY (the constructor does, unless given wait=False)."""
        if self._ready:
            return self
        try:
            self.wait_for_serial(r"OVHKVM-READY", timeout=max(self._deadline - time.monotonic(), 1))
        except BaseException:
            self.close()
            raise
        self._ready = True
        self.boot_seconds = time.monotonic() - self._start
        return self

    # -- life cycle --

    def __enter__(self) -> QemuGuest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """Kill QEMU (and reap it), remove its temporary files. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._qmp is not None:
            self._qmp.close()
        if self._command is not None:
            self._command.close()
        _stop(self._proc)
        shutil.rmtree(self._tmp, ignore_errors=True)
        _live.discard(self)

    def __repr__(self) -> str:
        return f"<QemuGuest {self.mode} keymap={self.keymap} vnc={self.host}:{self.port}>"

    @property
    def display(self) -> int:
        return self.port - 5900

    @property
    def vnc_url(self) -> str:
        """A `vnc://` target for the client (with the password, if any)."""
        auth = f":{self.password}@" if self.password is not None else ""
        return f"vnc://{auth}{self.host}:{self.port}"

    # -- QMP --

    def qmp(self, command: str, args: dict | None = None, **kwargs: Any) -> Any:
        """Run a QMP command; arguments as a dict (for names with dashes) and/or keywords."""
        if self._qmp is None or self._closed:
            raise BedError("the guest is closed")
        merged = {**(args or {}), **kwargs}
        try:
            return self._qmp.command(command, merged or None)
        except BedError as e:
            raise BedError(f"{e}\n{self._logs()}") from None
        except OSError as e:
            raise BedError(f"QMP {command}: {e}\n{self._logs()}") from None

    def _set_password(self, password: str) -> None:
        try:
            self.qmp("set_password", protocol="vnc", password=password)
        except BedError:
            self.qmp("change-vnc-password", password=password)

    def send_key(self, *combos: str, hold_ms: int | None = None, delay: float = 0.05) -> None:
        """Press QEMU qcodes, one combination after another: send_key("q", "shift+a", "ret").

        This goes through QEMU's input layer, not VNC: it checks the guest, never the client.
        """
        for combo in combos:
            args: dict[str, Any] = {
                "keys": [{"type": "qcode", "data": k} for k in combo.split("+")]
            }
            if hold_ms is not None:
                args["hold-time"] = hold_ms
            self.qmp("send-key", args)
            time.sleep(delay)

    def screendump(self, path: str | os.PathLike) -> Path:
        """QEMU's own picture of the screen, as a PPM (RGB) file (independent of any client)."""
        path = Path(path).resolve()
        self.qmp("screendump", filename=str(path))
        if not path.is_file():
            raise BedError(f"screendump wrote no {path}")
        return path

    def screendump_rgb(self):
        """The screen as a numpy array (height, width, 3), R, G, B."""
        with tempfile.TemporaryDirectory(prefix="ovhkvm-dump-") as d:
            return read_ppm(self.screendump(Path(d) / "screen.ppm"))

    # -- serial port --

    def serial_text(self) -> str:
        """Everything the guest wrote on its serial port so far."""
        try:
            return self._serial.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def serial_mark(self) -> int:
        """A position in serial_text(), to look only at what comes after it (`since=`)."""
        return len(self.serial_text())

    def wait_for_serial(self, pattern: str, timeout: float = 10.0, since: int = 0) -> re.Match:
        """Wait until `pattern` (a regex) appears on the serial port after `since`."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.serial_text()
            m = regex.search(text, since)
            if m:
                return m
            err = re.search(r"OVHKVM-ERROR:.*", text[since:])
            if err:
                raise BedError(f"the guest failed: {err.group(0)}\n{self._logs()}")
            if not self.alive():
                raise BedError(f"QEMU exited while waiting for {pattern!r}\n{self._logs()}")
            if time.monotonic() > deadline:
                raise BedError(
                    f"timed out after {timeout:.0f} s waiting for {pattern!r}\n{self._logs()}"
                )
            time.sleep(0.02)

    def received_bytes(self, since: int = 0) -> bytes:
        """The bytes that tty1 received (console mode), from the `KEY xx` lines after `since`."""
        return bytes(int(h, 16) for h in _KEY_LINE.findall(self.serial_text()[since:]))

    def wait_for_received(
        self, expected: bytes | int, timeout: float = 10.0, since: int = 0, settle: float = 0.3
    ) -> bytes:
        """Wait until tty1 has received `expected` (bytes) or that many bytes (int), then a
        little longer (`settle`) so that extra bytes show up too; returns all that arrived."""
        want = expected if isinstance(expected, int) else len(expected)
        deadline = time.monotonic() + timeout
        while len(got := self.received_bytes(since)) < want:
            if not self.alive():
                raise BedError(f"QEMU exited while waiting for keys\n{self._logs()}")
            if time.monotonic() > deadline:
                return got
            time.sleep(0.02)
        time.sleep(settle)
        return self.received_bytes(since)

    # -- the screen mode's commands (ttyS1) --

    def command(self, line: str, timeout: float = 30.0) -> list[str]:
        """Send one command to the screen mode's guest and return its answer's lines, up to its
        "OK ..." line; an "ERR ..." answer raises BedError."""
        if self.mode != "screen":
            raise BedError(f"commands need the screen mode, not {self.mode}")
        deadline = time.monotonic() + timeout
        if self._command is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(self._command_path))
            self._command = sock
            # What reaches ttyS1 before the guest's command loop opens it is lost: ping until
            # the loop answers, and forget whatever else comes back meanwhile.
            token, heard = 0, False
            while True:
                if not heard:
                    token += 1
                    sock.sendall(f"\nPING {token}\n".encode())
                answer = self._answer_line(min(time.monotonic() + 0.5, deadline))
                if answer == f"OK PING {token}":
                    break  # every earlier ping's answer came before this one
                heard = heard or (answer or "").startswith("OK PING ")
                if time.monotonic() > deadline:
                    raise BedError(f"the guest's command loop never answered\n{self._logs()}")
        self._command.sendall(line.encode("ascii") + b"\n")
        lines: list[str] = []
        while True:
            text = self._answer_line(deadline)
            if text is None:
                raise BedError(f"no answer to {line[:40]!r}\n{self._logs()}")
            if text.startswith("ERR "):
                raise BedError(f"the guest refused {line[:40]!r}: {text}")
            if text.startswith("OK "):
                return lines
            lines.append(text)

    def _answer_line(self, deadline: float) -> str | None:
        """The next line from the command port, or None at the deadline."""
        assert self._command is not None
        while b"\n" not in self._command_buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.alive():
                return None
            self._command.settimeout(left)
            try:
                chunk = self._command.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise BedError(f"the command port closed\n{self._logs()}")
            self._command_buffer += chunk
        raw, self._command_buffer = self._command_buffer.split(b"\n", 1)
        return raw.decode("ascii", errors="replace").rstrip("\r")

    def show(self, text: str | bytes) -> None:
        """Write text (UTF-8, escape sequences included) to tty1, as a guest program would."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.command("SHOW " + data.hex())

    def screen_memory(self) -> tuple[list[str], tuple[int, int]]:
        """tty1's own screen memory (/dev/vcsu1, the cursor from /dev/vcsa1): the rows as the
        kernel holds them, and the cursor's (column, row)."""
        lines = self.command("DUMP")
        _, rows, columns, x, y = lines[0].split()
        text = [
            bytes.fromhex(line.split(" ", 1)[1] if " " in line else "").decode("utf-8")
            for line in lines[1:]
        ]
        if len(text) != int(rows) or any(len(row) != int(columns) for row in text):
            raise BedError(f"a damaged screen dump: {lines[0]}, {len(text)} rows")
        return text, (int(x), int(y))

    def load_font(self, name: str) -> None:
        """Load a console-setup font (one of build-guest.sh's FONTS) on tty1."""
        self.command(f"FONT {name}")

    def start_login(self) -> None:
        """Start a getty on tty1: "ovhkvm login:", then root's password prompt."""
        self.command("LOGIN")

    def _logs(self) -> str:
        return (
            f"--- {self!r}, serial log (tail) ---\n{_tail(self._serial)}\n"
            f"--- QEMU output (tail) ---\n{_tail(self._qemu_log)}"
        )


def read_ppm(path: str | os.PathLike):
    """Read a binary PPM (P6, maxval 255) into a numpy array (height, width, 3)."""
    import numpy as np

    data = Path(path).read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace after maxval
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P6" or maxval != 255:
        raise ValueError(f"not an 8-bit binary PPM: {magic!r} maxval {maxval}")
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height * 3, offset=pos)
    return pixels.reshape(height, width, 3)


# --- websockify -----------------------------------------------------------------------------------


def _make_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A fresh CA and a server certificate for 127.0.0.1/localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ovhkvm test bed CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "cert.pem",
        directory / "key.pem",
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


class Websockify:
    """Debian's websockify in front of VNC servers, by token (like nova's noVNC proxy).

    `Websockify({"tok": (guest.host, guest.port)}, tls=True)`; `.url("tok")` is
    `wss://127.0.0.1:PORT/websockify?token=tok`, and `.ca_file` the CA to trust for it.
    """

    def __init__(
        self,
        targets: dict[str, tuple[str, int]],
        tls: bool = False,
        *,
        host: str = "127.0.0.1",
        timeout: float = 20.0,
        extra_args: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.host = host
        self.tls = tls
        self.port = 0
        self.ca_file: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._tmp = Path(tempfile.mkdtemp(prefix="ovhkvm-websockify-"))
        self._log = self._tmp / "websockify.log"
        self.token_file = self._tmp / "tokens"
        self._targets: dict[str, tuple[str, int]] = {}
        _live.add(self)
        try:
            binary = shutil.which(WEBSOCKIFY_BINARY)
            if binary is None:
                raise BedError(f"{WEBSOCKIFY_BINARY} is not installed: {_HINT_INSTALL}")
            for token, (thost, tport) in targets.items():
                self.set_target(token, thost, tport)
            if not targets:
                self.token_file.write_text("")
            tls_args: list[str] = []
            if tls:
                self.ca_file, cert, key = _make_tls_files(self._tmp)
                tls_args = ["--cert", str(cert), "--key", str(key), "--ssl-only"]
            for _attempt in range(3):
                self.port = free_port(host)
                args = [
                    binary,
                    "--token-plugin", "TokenFile",
                    "--token-source", str(self.token_file),
                    *tls_args,
                    *extra_args,
                    f"{host}:{self.port}",
                ]  # fmt: skip
                self._proc = _popen(args, self._log)
                deadline = time.monotonic() + timeout
                if _wait_port(host, self.port, deadline, lambda: self._proc.poll() is None):
                    return
                if self._proc.poll() is None:
                    raise BedError(
                        f"websockify did not listen within {timeout:.0f} s\n{self._logs()}"
                    )
                if "in use" not in self._log.read_text(errors="replace"):
                    raise BedError(f"websockify exited\n{self._logs()}")
            raise BedError(f"websockify found no free port\n{self._logs()}")
        except BaseException:
            self.close()
            raise

    def set_target(self, token: str, host: str, port: int) -> None:
        """Add or change a token (websockify reads the token file at each connection)."""
        self._targets[token] = (host, port)
        lines = "".join(f"{t}: {h}:{p}\n" for t, (h, p) in self._targets.items())
        tmp = self.token_file.with_suffix(".new")
        tmp.write_text(lines)
        tmp.replace(self.token_file)

    def url(self, token: str, path: str = "/websockify") -> str:
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://{self.host}:{self.port}{path}?token={token}"

    def ssl_context(self):
        """An ssl.SSLContext that trusts this websockify's CA (TLS mode)."""
        import ssl

        if self.ca_file is None:
            raise BedError("this websockify does not use TLS")
        return ssl.create_default_context(cafile=str(self.ca_file))

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        try:
            return self._log.read_text(errors="replace")
        except OSError:
            return ""

    def _logs(self) -> str:
        return f"--- websockify output (tail) ---\n{_tail(self._log)}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _stop(self._proc)
        shutil.rmtree(self._tmp, ignore_errors=True)
        _live.discard(self)

    def __enter__(self) -> Websockify:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Websockify {self.url('TOKEN')}>"
