"""Errors the user reads: each one is a single sentence that says what happened and what to do."""


class ConsoleError(Exception):
    """A failure the user can act on; ``str()`` is the whole message, no traceback needed."""


class ConnectFailed(ConsoleError):
    """The console could not be reached (refused, closed port, DNS, TLS, proxy refusal)."""


class Unreachable(ConnectFailed):
    """Nothing answered before any TLS or RFB was spoken: refused, timed out, no route, unknown
    host. The one connection failure after which another console door may be tried."""


class TlsFailed(ConnectFailed):
    """TLS failed (a certificate that cannot be verified, a broken handshake): a stop, never a
    reason to try another door, least of all a plain one."""


class AuthenticationFailed(ConsoleError):
    """The server refused the password, or asked for one we do not have."""


class ConnectionLost(ConsoleError):
    """An established console connection ended."""
