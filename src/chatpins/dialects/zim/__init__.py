"""The ZEGOCLOUD ZIM server-API dialect (``POST /?Action=<Name>``, signature v2.0)."""
