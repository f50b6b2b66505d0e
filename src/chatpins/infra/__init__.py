"""Pieces with an in-process backend (one instance) and, later, a Redis one (several)."""
