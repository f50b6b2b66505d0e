"""Wire dialects: each translates its vendor's requests to core calls and back, nothing more."""
