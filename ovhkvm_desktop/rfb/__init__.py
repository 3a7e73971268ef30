"""The RFB protocol with no I/O: feed it bytes, get events; ask it for messages, get bytes."""
