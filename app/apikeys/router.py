"""HTTP for API keys (admin only)."""

import uuid

from fastapi import APIRouter, Response, status

from app.apikeys import service
from app.apikeys.models import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.auth.deps import AdminPrincipal
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.pagination import Page, PageDep

router = APIRouter(tags=["api-keys"])


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key for an office's system (admin); the key is shown once",
)
def create_api_key(_: AdminPrincipal, data: ApiKeyCreate, session: SessionDep) -> ApiKeyCreated:
    return service.create_api_key(session, data=data)


@router.get("/api-keys", summary="List API keys without the keys (admin)")
def list_api_keys(_: AdminPrincipal, session: SessionDep, page: PageDep) -> Page[ApiKeyPublic]:
    rows, cursor = service.list_api_keys(session, page=page)
    items = [ApiKeyPublic.model_validate(k, from_attributes=True) for k in rows]
    return Page(items=items, next_cursor=cursor)


@router.delete(
    "/api-keys/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key (admin)",
)
def revoke_api_key(_: AdminPrincipal, api_key_id: uuid.UUID, session: SessionDep) -> Response:
    api_key = session.get(ApiKey, api_key_id)
    if api_key is None:
        raise NotFound("API key")
    service.revoke_api_key(session, api_key=api_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
