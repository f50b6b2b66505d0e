"""The IMKit Chat Server REST dialect (``/rooms``, ``/messages/:id/pin``, ``/admin/clients``)."""
