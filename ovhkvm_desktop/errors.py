"""Errors the user reads: each one is a single sentence that says what happened and what to do."""


class ConsoleError(Exception):
    """A failure the user can act on; ``str()`` is the whole message, no traceback needed."""


class ConnectFailed(ConsoleError):
    """The console could not be reached (refused, closed port, DNS, TLS, proxy refusal)."""


class AuthenticationFailed(ConsoleError):
    """The server refused the password, or asked for one we do not have."""


class ConnectionLost(ConsoleError):
    """An established console connection ended."""
