"""Fixtures of the multi-instance suite: one database for the whole package; a pair of
instances (with their Redis) shared by the tests that leave it as they found it, and a pair of
its own for a test that kills an instance or stops Redis.

Every test makes its own apps, so the tests do not depend on their order. Starting a server
costs seconds, so the shared pair is started once, the two instances of a pair start at once,
and every pair serves the one database, migrated once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import fresh_database
from tests.e2e.live_server import ServerProcess, database_url_for
from tests.e2e.multi.cluster import Cluster, Pair


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    log_dir = tmp_path_factory.mktemp("multi")
    shared = database_url_for("postgres", log_dir)  # skips (or fails) without PostgreSQL
    with fresh_database(shared, "chatpins_multi") as direct_url:
        # Migrations run on the direct connection; the instances may serve through PgBouncer.
        ServerProcess(direct_url, log_dir).upgrade()
        yield Cluster(direct_url, log_dir)


@pytest.fixture(scope="package")
def pair(cluster: Cluster) -> Iterator[Pair]:
    """Instances A and B shared by the package's tests."""
    shared = cluster.start_pair()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.fixture
def private_pair(cluster: Cluster) -> Iterator[Pair]:
    """Instances A and B and a Redis of this test alone: for killing an instance or stopping
    Redis (the shared pair never goes through a Redis restart, see test_redis_outage.py)."""
    alone = cluster.start_pair()
    try:
        yield alone
    finally:
        alone.stop()
