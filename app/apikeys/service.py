"""API keys: issue once, store hashed, revoke."""

from sqlmodel import Session, select

from app.apikeys.models import ApiKey, ApiKeyCreate, ApiKeyCreated
from app.core.pagination import PageParams, paginate
from app.core.security import hash_api_key, new_api_key
from app.core.types import utcnow


def create_api_key(session: Session, *, data: ApiKeyCreate) -> ApiKeyCreated:
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
    session.flush()
    return ApiKeyCreated.model_validate({**api_key.model_dump(), "key": key})


def list_api_keys(session: Session, *, page: PageParams) -> tuple[list[ApiKey], str | None]:
    """A page of keys, revoked ones included (without the keys themselves)."""
    return paginate(session, select(ApiKey), ApiKey, page)


def revoke_api_key(session: Session, *, api_key: ApiKey) -> None:
    """Revoke a key: it answers 401 from now on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        session.add(api_key)
        session.flush()
