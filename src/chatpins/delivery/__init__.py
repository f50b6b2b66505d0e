"""Getting committed events to the people and systems that care: live streams and webhooks."""
