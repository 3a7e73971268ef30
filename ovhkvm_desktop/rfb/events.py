"""What the server told us, as plain values the session hands to its listeners."""

from __future__ import annotations

from dataclasses import dataclass, field

from ovhkvm_desktop.rfb.framebuffer import Rect


@dataclass(frozen=True, slots=True)
class FramebufferUpdated:
    """A FramebufferUpdate message was applied; ``rects`` are the screen areas that changed."""

    rects: list[Rect]
    #: Whether this message answered our update request (it did unless it carried nothing but
    #: out-of-band notices such as the LED state).
    answered_request: bool = True


@dataclass(frozen=True, slots=True)
class DesktopResized:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Screen:
    id: int
    x: int
    y: int
    width: int
    height: int
    flags: int


@dataclass(frozen=True, slots=True)
class ExtendedDesktopSizeReply:
    """The answer to SetDesktopSize, or a resize notice (reason 0 = by the server)."""

    reason: int
    status: int
    width: int
    height: int
    screens: tuple[Screen, ...]


@dataclass(frozen=True, slots=True)
class CursorChanged:
    """A new pointer shape: ``bgra`` holds width*height pixels B,G,R,A (A 0 or 255)."""

    hotspot_x: int
    hotspot_y: int
    width: int
    height: int
    bgra: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Bell:
    pass


@dataclass(frozen=True, slots=True)
class ServerCutText:
    """Text the server put on its clipboard."""

    text: str


@dataclass(frozen=True, slots=True)
class ColourMapEntries:
    """SetColourMapEntries: meaningless with our true-colour format; reported, not applied."""

    first: int
    count: int


@dataclass(frozen=True, slots=True)
class LedState:
    scroll_lock: bool
    num_lock: bool
    caps_lock: bool


@dataclass(frozen=True, slots=True)
class ExtensionAcknowledged:
    """The server confirmed a pseudo-encoding (QEMU key events, LED state...)."""

    encoding: int


@dataclass(frozen=True, slots=True)
class PointerModeChanged:
    """QEMU Pointer Motion Change: ``absolute`` False means the guest wants relative motion."""

    absolute: bool


@dataclass(frozen=True, slots=True)
class ClipboardCapabilities:
    """The server's Extended Clipboard capabilities (formats it handles, actions it accepts)."""

    flags: int
    max_sizes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ClipboardRequest:
    """Extended Clipboard: the server asks for our clipboard text (answer with a provide)."""

    flags: int


@dataclass(frozen=True, slots=True)
class ClipboardNotify:
    """Extended Clipboard: the server's clipboard changed; ``flags`` says which formats exist."""

    flags: int


Event = (
    FramebufferUpdated
    | DesktopResized
    | ExtendedDesktopSizeReply
    | CursorChanged
    | Bell
    | ServerCutText
    | ColourMapEntries
    | LedState
    | ExtensionAcknowledged
    | PointerModeChanged
    | ClipboardCapabilities
    | ClipboardRequest
    | ClipboardNotify
)
