"""The native ``/v1`` API: provisioning now; the pin features no vendor offers later."""
