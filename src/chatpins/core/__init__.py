"""The dialect-neutral domain: entities, use cases, policies and errors.

Nothing in here knows about HTTP, JSON envelopes, vendor codes or SQL.
"""
