"""Benchmarks: chatpins against ceilings and a real peer, measured in one run on one machine."""
