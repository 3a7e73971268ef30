"""ovhkvm-desktop: a native desktop console for OVHcloud servers and any VNC console."""

__version__ = "0.1.0"
