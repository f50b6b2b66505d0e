"""The server's admin key, which guards the native provisioning API. Stored hashed."""

from __future__ import annotations

from chatpins.core.context import Deps
from chatpins.core.identity import hash_secret, secrets_match

_KEY = "admin_key_hash"


async def ensure_admin_key(deps: Deps) -> str | None:
    """Create the admin key if there is none; return it then (only then), else None."""
    async with deps.uow(write=True) as uow:
        if await uow.server.get(_KEY) is not None:
            return None
        key = "cpk_" + deps.ids.hex(40)
        await uow.server.put(_KEY, hash_secret(key))
    return key


async def has_admin_key(deps: Deps) -> bool:
    """Whether an admin key is stored (made by an earlier start or ``admin-key rotate``)."""
    async with deps.uow() as uow:
        return await uow.server.get(_KEY) is not None


async def rotate_admin_key(deps: Deps) -> str:
    key = "cpk_" + deps.ids.hex(40)
    async with deps.uow(write=True) as uow:
        await uow.server.put(_KEY, hash_secret(key))
    return key


async def is_admin_key(deps: Deps, candidate: str) -> bool:
    stored = await stored_key_hash(deps)
    return stored is not None and secrets_match(candidate, stored)


async def stored_key_hash(deps: Deps) -> str | None:
    """The stored admin key's hash (None: no key yet): what the console's sessions are signed
    with, so rotating the key ends every session."""
    async with deps.uow() as uow:
        return await uow.server.get(_KEY)
