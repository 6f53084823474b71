"""Foods: the catalogue, search, and admin edits."""

import base64
import binascii
import json
import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, Invalid, InvalidCursor
from app.core.pagination import PageParams, paginate
from app.foods.models import Food, FoodCreate, FoodGroup, FoodPublic, FoodUpdate
from app.kitchens.access import touch_reference
from app.nutrition.models import NUTRIENTS, Nutrients


class FoodCodeTaken(Conflict):
    code = "food_code_taken"
    description = "Another food has this code"


class UnknownFood(Invalid):
    code = "unknown_food"
    description = "A food named in the body does not exist"


class InvalidRawForm(Invalid):
    code = "invalid_raw_form"
    description = (
        "The raw form is impossible: `raw_food_id` names no food, the food itself, or a food "
        "that has a raw form itself; a food other foods are made from cannot gain one; "
        "`raw_food_id` and `cooked_yield` are set together or cleared together"
    )


def to_public(food: Food) -> FoodPublic:
    """The API shape of a food: nutrients nested under `nutrients`."""
    nutrients = Nutrients.model_construct(**{n: getattr(food, n) for n in NUTRIENTS})
    return FoodPublic.model_validate(
        {**food.model_dump(exclude={*NUTRIENTS, "version"}), "nutrients": nutrients}
    )


async def _ensure_code_free(
    session: AsyncSession, code: str, *, exclude: Food | None = None
) -> None:
    other = (await session.exec(select(Food).where(Food.code == code))).first()
    if other is not None and other is not exclude:
        raise FoodCodeTaken(f"Food code {code!r} is already taken")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise FoodCodeTaken("Food code is already taken") from exc


# ---- search --------------------------------------------------------------------------------

# Characters that separate words in food names ("Ayam, daging (paha)"): each counts as a space
# when deciding whether the search term is a whole word of the name.
_WORD_SEPARATORS = ",()/.;:-'\"\t"
_LIKE_ESCAPE = "\\"


def _like_literal(text: str) -> str:
    """`text` with LIKE's wildcards escaped, so it matches only itself."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


def _search_rank(term: str) -> ColumnElement[int]:
    """Where the term occurs, best first: 0 the name starts with it, 1 it is a whole word of
    the name, 2 it is inside the name, 3 only the code contains it."""
    name = func.lower(col(Food.name))
    words: Any = name
    for separator in _WORD_SEPARATORS:
        words = func.replace(words, separator, " ")
    padded = literal(" ") + words + literal(" ")
    needle = _like_literal(term.lower())
    return case(
        (name.like(f"{needle}%", escape=_LIKE_ESCAPE), 0),
        (padded.like(f"% {needle} %", escape=_LIKE_ESCAPE), 1),
        (name.like(f"%{needle}%", escape=_LIKE_ESCAPE), 2),
        else_=3,
    )


def _encode_search_cursor(rank: int, name: str, id_: uuid.UUID) -> str:
    raw = json.dumps(["search", rank, name, id_.hex]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_search_cursor(cursor: str) -> tuple[int, str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, rank, name, id_hex = json.loads(raw)
        if kind != "search" or not isinstance(rank, int) or not isinstance(name, str):
            raise ValueError(cursor)
        return rank, name, uuid.UUID(hex=id_hex)
    except (binascii.Error, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidCursor(
            "cursor is not one this service issued for this search", loc=["query", "cursor"]
        ) from exc


async def _search(
    session: AsyncSession, term: str, food_group: FoodGroup | None, page: PageParams
) -> tuple[list[Food], str | None]:
    """Foods matching `term`, ranked by where it occurs, then by name; paged by that order."""
    rank = _search_rank(term)
    stmt = select(Food, rank).where(
        or_(
            col(Food.name).icontains(term, autoescape=True),
            col(Food.code).icontains(term, autoescape=True),
        )
    )
    if food_group is not None:
        stmt = stmt.where(Food.food_group == food_group.value)
    if page.updated_since is not None:
        stmt = stmt.where(col(Food.updated_at) >= page.updated_since)
    if page.cursor:
        last_rank, last_name, last_id = _decode_search_cursor(page.cursor)
        stmt = stmt.where(
            or_(
                rank > last_rank,
                and_(rank == last_rank, col(Food.name) > last_name),
                and_(rank == last_rank, col(Food.name) == last_name, col(Food.id) > last_id),
            )
        )
    stmt = stmt.order_by(rank, col(Food.name), col(Food.id)).limit(page.limit + 1)
    rows = list((await session.exec(stmt)).all())
    if len(rows) <= page.limit:
        return [food for food, _ in rows], None
    rows = rows[: page.limit]
    last, last_rank = rows[-1]
    return [food for food, _ in rows], _encode_search_cursor(last_rank, last.name, last.id)


async def list_foods(
    session: AsyncSession,
    *,
    search: str | None,
    food_group: FoodGroup | None,
    page: PageParams,
) -> tuple[list[Food], str | None]:
    """Foods whose name or code contains `search` (any case), best matches first; without
    a search, every food (optionally of one group) in the order they were added."""
    if search:
        return await _search(session, search, food_group, page)
    stmt = select(Food)
    if food_group is not None:
        stmt = stmt.where(Food.food_group == food_group.value)
    return await paginate(session, stmt, Food, page)


# ---- writing -------------------------------------------------------------------------------


def _allergens(allergens: list[Any] | None) -> list[str] | None:
    """None stays "not assessed"; a list is stored sorted, without duplicates."""
    return None if allergens is None else sorted({str(a) for a in allergens})


async def _ensure_raw_form(
    session: AsyncSession,
    food_id: uuid.UUID | None,
    raw_food_id: uuid.UUID | None,
    cooked_yield: float | None,
) -> None:
    """422 `invalid_raw_form` unless the pair (raw food, yield) can be stored on the food
    `food_id` (None: a food being created): both or neither; the raw food exists, is not
    the food itself and has no raw form itself; a food others are made from has none."""
    if (raw_food_id is None) != (cooked_yield is None):
        raise InvalidRawForm(
            "raw_food_id and cooked_yield go together: give both, or clear both with null",
            loc=["body", "cooked_yield" if cooked_yield is None else "raw_food_id"],
        )
    if raw_food_id is None:
        return
    if raw_food_id == food_id:
        raise InvalidRawForm("A food cannot be its own raw form", loc=["body", "raw_food_id"])
    raw = await session.get(Food, raw_food_id)
    if raw is None:
        raise InvalidRawForm(f"Food {raw_food_id} does not exist", loc=["body", "raw_food_id"])
    if raw.raw_food_id is not None:
        raise InvalidRawForm(
            f"{raw.name} is itself made from another food; name that raw food instead",
            loc=["body", "raw_food_id"],
        )
    if food_id is not None:
        made_from = await session.scalar(
            select(func.count()).select_from(Food).where(col(Food.raw_food_id) == food_id)
        )
        if made_from:
            raise InvalidRawForm(
                "Other foods are made from this one, so it cannot have a raw form itself",
                loc=["body", "raw_food_id"],
            )


async def create_food(session: AsyncSession, *, data: FoodCreate) -> Food:
    """A new food; its code must be unused. Foods are reference data every kitchen reads."""
    await _ensure_code_free(session, data.code)
    await _ensure_raw_form(session, None, data.raw_food_id, data.cooked_yield)
    food = Food(
        code=data.code,
        name=data.name,
        food_group=data.food_group.value,
        commodity=data.commodity,
        edible_portion_pct=data.edible_portion_pct,
        allergens=_allergens(data.allergens),
        halal=data.halal.value,
        raw_food_id=data.raw_food_id,
        cooked_yield=data.cooked_yield,
        **data.nutrients.model_dump(),
    )
    session.add(food)
    await _flush(session)
    await touch_reference(session)
    return food


async def update_food(session: AsyncSession, *, food: Food, data: FoodUpdate) -> Food:
    """Apply the fields the client sent; in `nutrients`, only the keys sent.

    The food's row is locked, and the write counted in the reference data's version, by
    the route's loader: every recipe and draft menu using the food reads it.
    """
    changes = data.model_dump(exclude_unset=True, exclude={"nutrients"})
    if "code" in changes and changes["code"] != food.code:
        await _ensure_code_free(session, changes["code"], exclude=food)
    if "allergens" in changes:
        changes["allergens"] = _allergens(changes["allergens"])
    for name in ("food_group", "halal"):
        if name in changes:
            changes[name] = str(changes[name])
    if {"raw_food_id", "cooked_yield"} & changes.keys():
        raw_food_id = changes.get("raw_food_id", food.raw_food_id)
        cooked_yield = changes.get("cooked_yield", food.cooked_yield)
        if (raw_food_id, cooked_yield) != (food.raw_food_id, food.cooked_yield):
            await _ensure_raw_form(session, food.id, raw_food_id, cooked_yield)
    if data.nutrients is not None:
        changes.update(data.nutrients.model_dump(exclude_unset=True))
    for field, value in changes.items():
        setattr(food, field, value)
    session.add(food)
    await _flush(session)
    return food
