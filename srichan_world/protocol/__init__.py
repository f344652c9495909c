"""The wire protocol: message codes, limits, one dataclass per message, and the codec.

See docs/protocol.md. Nothing here does I/O; the browser's copy of the code tables is
generated into server/web/protocol.js by tools/export_protocol.py.
"""
