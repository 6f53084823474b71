"""API keys: issue once, store hashed, revoke."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.apikeys.models import ApiKeyCreate, ApiKeyCreated
from app.auth.models import ApiKey
from app.core.pagination import PageParams, paginate
from app.core.security import hash_api_key, new_api_key
from app.core.types import utcnow


async def create_api_key(session: AsyncSession, *, data: ApiKeyCreate) -> ApiKeyCreated:
    """A new key; the plain key is in this answer only."""
    key = new_api_key()
    api_key = ApiKey(
        name=data.name,
        role=data.role,
        region_code=data.region_code,
        key_hash=hash_api_key(key),
        key_prefix=key[:12],
    )
    session.add(api_key)
    await session.flush()
    return ApiKeyCreated.model_validate({**api_key.model_dump(), "key": key})


async def list_api_keys(
    session: AsyncSession, *, page: PageParams
) -> tuple[list[ApiKey], str | None]:
    """A page of keys, revoked ones included (without the keys themselves)."""
    return await paginate(session, select(ApiKey), ApiKey, page)


async def revoke_api_key(session: AsyncSession, *, api_key: ApiKey) -> None:
    """Revoke a key: it answers 401 from now on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        session.add(api_key)
        await session.flush()
