"""The one exception the protocol core raises: the server sent something it cannot accept."""


class ProtocolError(Exception):
    """The server broke the RFB protocol; the message is a sentence a user can read."""


class Incomplete(Exception):
    """The buffer ends before the rectangle does.

    ``position`` is how far the decoder consumed the buffer (the start of the payload for decoders
    that decode all at once; the end of the last whole tile for resumable ones). The connection
    keeps the bytes from there on and calls the decoder again, with the same rectangle, once more
    data has arrived. ``needed``, when the decoder knows it, is how many bytes from ``position``
    it must have before a new call can make progress (a Raw row, a payload of known length): the
    connection then buffers only what completes them and reads the rest where it arrived.
    """

    def __init__(self, position: int, needed: int = 0) -> None:
        super().__init__(position)
        self.position = position
        self.needed = needed
