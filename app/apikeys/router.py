"""HTTP for API keys (admin only)."""

from typing import Annotated

from fastapi import Depends, Response, status

from app.apikeys import service
from app.apikeys.models import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.auth.deps import AdminPrincipal
from app.auth.models import ApiKey
from app.auth.policy import ADMINISTRATION
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.kitchens.access import row_loader

router = api_router(tags=["api-keys"])

AdministeredKey = Annotated[
    ApiKey,
    Depends(row_loader(ADMINISTRATION, ApiKey, param="api_key_id", what="API key", tag=None)),
]


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key for an office's system (admin); the key is shown once",
)
async def create_api_key(
    _: AdminPrincipal, data: ApiKeyCreate, session: SessionDep
) -> ApiKeyCreated:
    return await service.create_api_key(session, data=data)


@router.get("/api-keys", summary="List API keys without the keys (admin)")
async def list_api_keys(
    _: AdminPrincipal, session: SessionDep, page: PageDep
) -> Page[ApiKeyPublic]:
    rows, cursor = await service.list_api_keys(session, page=page)
    return Page(items=[ApiKeyPublic.model_validate(k) for k in rows], next_cursor=cursor)


@router.delete(
    "/api-keys/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key (admin)",
)
async def revoke_api_key(api_key: AdministeredKey, session: SessionDep) -> Response:
    await service.revoke_api_key(session, api_key=api_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
