"""Foods: the catalogue, search, and admin edits."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.foods.models import Food, FoodCreate, FoodGroup, FoodPublic, FoodUpdate
from app.nutrition.models import NUTRIENTS, Nutrients


def to_public(food: Food) -> FoodPublic:
    """The API shape of a food: nutrients nested under `nutrients`."""
    nutrients = Nutrients.model_construct(**{n: getattr(food, n) for n in NUTRIENTS})
    return FoodPublic.model_validate(
        {**food.model_dump(exclude=set(NUTRIENTS)), "nutrients": nutrients}
    )


def _ensure_code_free(session: Session, code: str, *, exclude: Food | None = None) -> None:
    other = session.exec(select(Food).where(Food.code == code)).first()
    if other is not None and other is not exclude:
        raise Conflict(f"Food code {code!r} is already taken", code="food_code_taken")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise Conflict("Food code is already taken", code="food_code_taken") from exc


def get_food(session: Session, *, food_id: uuid.UUID) -> Food:
    """A food by id, or 404."""
    food = session.get(Food, food_id)
    if food is None:
        raise NotFound("Food")
    return food


def list_foods(
    session: Session, *, search: str | None, food_group: FoodGroup | None, page: PageParams
) -> tuple[list[Food], str | None]:
    """Foods whose name or code contains `search` (any case), optionally of one group."""
    stmt = select(Food)
    if search:
        stmt = stmt.where(
            or_(
                col(Food.name).icontains(search, autoescape=True),
                col(Food.code).icontains(search, autoescape=True),
            )
        )
    if food_group is not None:
        stmt = stmt.where(Food.food_group == food_group.value)
    return paginate(session, stmt, Food, page)


def create_food(session: Session, *, data: FoodCreate) -> Food:
    """A new food; its code must be unused."""
    _ensure_code_free(session, data.code)
    food = Food(
        code=data.code,
        name=data.name,
        food_group=data.food_group.value,
        commodity=data.commodity,
        edible_portion_pct=data.edible_portion_pct,
        allergens=sorted({a.value for a in data.allergens}),
        **data.nutrients.model_dump(),
    )
    session.add(food)
    _flush(session)
    return food


def update_food(session: Session, *, food: Food, data: FoodUpdate) -> Food:
    """Apply the fields the client sent; in `nutrients`, only the keys sent."""
    changes = data.model_dump(exclude_unset=True, exclude={"nutrients"})
    changes = {k: v for k, v in changes.items() if v is not None}  # required fields stay
    if "code" in changes and changes["code"] != food.code:
        _ensure_code_free(session, changes["code"], exclude=food)
    if "allergens" in changes:
        changes["allergens"] = sorted({str(a) for a in changes["allergens"]})
    if "food_group" in changes:
        changes["food_group"] = str(changes["food_group"])
    if data.nutrients is not None:
        changes.update(data.nutrients.model_dump(exclude_unset=True))
    for field, value in changes.items():
        setattr(food, field, value)
    session.add(food)
    _flush(session)
    return food
