"""A small demo world for `make run`: one kitchen in Kota Bandung, its schools and users.

It is made through the domain services, which are async: `seed` takes the session of the
async engine (the CLI runs it with asyncio and commits once at the end).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401
from app.auth.models import ApiKey, Principal, Role, User, UserKitchen
from app.core.localtime import local_today
from app.core.security import hash_api_key, hash_password
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheckCreate
from app.foodsafety.service import create_check
from app.kitchens.models import Kitchen
from app.mealcounts.models import MealCountsPut
from app.mealcounts.service import put_day
from app.menus.models import Menu, MenuApprove, MenuCreate
from app.menus.service import approve_menu, create_menu, nutrition_check
from app.recipes.models import RecipeCreate
from app.recipes.service import create_recipe
from app.schools.models import School, SchoolEnrolment
from app.shifts.models import Shift, ShiftCreate
from app.shifts.service import assign, create_shift
from app.staff.models import StaffCreate
from app.staff.service import create_staff

# Demo credentials only: `make run` prints them. Never use them in a real deployment.
ADMIN = ("admin", "dapur-admin-demo")
MANAGER = ("manager", "dapur-manager-demo")
HEALTH_KEY = "dpr_demo_health_office_key_32_73"
AGRICULTURE_KEY = "dpr_demo_agriculture_office_key_32"

DEMO_LOGINS = [
    ("admin", f"username {ADMIN[0]!r}, password {ADMIN[1]!r}"),
    ("kitchen manager (SPPG Bandung Wetan)", f"username {MANAGER[0]!r}, password {MANAGER[1]!r}"),
    ("health office, Kota Bandung (32.73)", f"header X-API-Key: {HEALTH_KEY}"),
    ("agriculture office, Jawa Barat (32)", f"header X-API-Key: {AGRICULTURE_KEY}"),
]


class DemoRefused(Exception):
    """The demo world may not be planted in this environment."""


def refuse_in_production(environment: str) -> None:
    """Raise DemoRefused in production: the demo's logins and API keys are published."""
    if environment == "production":
        raise DemoRefused(
            "seed-demo refuses to run with ENVIRONMENT=production: its logins and API keys "
            "are published in the README; nothing was written."
        )


SCHOOLS = [
    ("20219101", "SD Negeri Merdeka 5", "sd", {"7-9": 180, "10-12-m": 62, "10-12-f": 66}),
    ("20219102", "SMP Negeri 7 Bandung", "smp", {"13-15-m": 210, "13-15-f": 224}),
    ("20219103", "TK Pertiwi Citarum", "paud", {"4-6": 85}),
]


async def _user(
    session: AsyncSession, username: str, password: str, full_name: str, role: Role
) -> User:
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is None:
        user = User(
            username=username, password_hash=hash_password(password), full_name=full_name, role=role
        )
        session.add(user)
        await session.flush()
    return user


async def _key(session: AsyncSession, name: str, key: str, role: Role, region: str) -> None:
    found = await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if found.first() is None:
        session.add(
            ApiKey(
                name=name,
                role=role,
                region_code=region,
                key_hash=hash_api_key(key),
                key_prefix=key[:12],
            )
        )


async def seed(session: AsyncSession) -> None:
    """Create the demo objects that are missing; running it twice changes nothing."""
    found = await session.exec(select(Kitchen).where(Kitchen.code == "SPPG-3273-001"))
    kitchen = found.first()
    if kitchen is None:
        kitchen = Kitchen(
            code="SPPG-3273-001",
            name="SPPG Bandung Wetan",
            region_code="32.73.11",
            timezone="Asia/Jakarta",
            address="Jl. Citarum, Bandung Wetan, Kota Bandung",
            capacity_per_day=3000,
        )
        session.add(kitchen)
        await session.flush()
    for npsn, name, level, enrolment in SCHOOLS:
        if (await session.exec(select(School).where(School.npsn == npsn))).first() is None:
            school = School(kitchen_id=kitchen.id, npsn=npsn, name=name, level=level)
            session.add(school)
            await session.flush()
            for group, count in enrolment.items():
                session.add(SchoolEnrolment(school_id=school.id, target_group=group, count=count))
    admin = await _user(session, *ADMIN, "Demo Administrator", Role.admin)
    manager = await _user(session, *MANAGER, "Ibu Siti Rahmawati", Role.kitchen_manager)
    if await session.get(UserKitchen, (manager.id, kitchen.id)) is None:
        session.add(UserKitchen(user_id=manager.id, kitchen_id=kitchen.id))
    await _key(session, "Dinkes Kota Bandung (demo)", HEALTH_KEY, Role.health_office, "32.73")
    await _key(
        session, "Dinas Pertanian Jawa Barat (demo)", AGRICULTURE_KEY, Role.agriculture_office, "32"
    )
    await session.flush()
    if (await session.exec(select(Menu).where(Menu.kitchen_id == kitchen.id))).first() is None:
        await _operations(session, kitchen, admin)


# National recipes from the built-in catalogue: (name, category, [(TKPI code, edible grams)]).
RECIPES = [
    ("Nasi putih", "staple", [("AP001", 180)]),
    ("Ayam goreng", "animal_protein", [("FR005", 50), ("KR012", 3)]),
    ("Telur dadar", "animal_protein", [("HR002", 60), ("KR012", 2)]),
    ("Tempe goreng", "plant_protein", [("CP076", 25)]),
    ("Tumis bayam wortel", "vegetable", [("DR008", 50), ("DR166", 25), ("KR012", 5)]),
    ("Pisang ambon", "fruit", [("ER074", 75)]),
]
# Younger pupils eat less than the standard portion, teenagers more.
PORTION_FACTORS = {
    "4-6": 0.65,
    "7-9": 0.8,
    "10-12-m": 1.0,
    "10-12-f": 0.95,
    "13-15-m": 1.15,
    "13-15-f": 1.0,
}
OVERRIDE = "Protein short for some groups; extra egg served at school (demo data)"
# (name, role, days until the food-handler certificate expires, or None)
STAFF = [
    ("Ibu Siti Rahmawati", "head", None),
    ("Dewi Lestari, S.Gz", "nutritionist", None),
    ("Asep Sunandar", "cook", 400),
    ("Rina Marlina", "cook", 400),
    ("Ujang Hidayat", "cook", 10),  # about to expire: the day view warns
    ("Euis Kurniasih", "cook", 400),
    ("Neng Yulianti", "portioning", 400),
    ("Tati Suryati", "portioning", 400),
    ("Dadang Supriatna", "portioning", 400),
    ("Cecep Rustandi", "driver", None),
    ("Agus Salim", "driver", None),
]


async def _operations(session: AsyncSession, kitchen: Kitchen, admin: User) -> None:
    """A fortnight of the kitchen's life around today, made through the domain services."""
    principal = Principal(kind="user", id=admin.id, name=admin.username, role=Role.admin)
    today = local_today(kitchen.timezone)
    foods = {f.code: f.id for f in await session.exec(select(Food))}
    recipes = [
        await create_recipe(
            session,
            principal=principal,
            data=RecipeCreate.model_validate(
                {
                    "name": name,
                    "category": category,
                    "ingredients": [{"food_id": foods[c], "grams": g} for c, g in parts],
                }
            ),
        )
        for name, category, parts in RECIPES
    ]
    staff = [
        await create_staff(
            session,
            kitchen=kitchen,
            data=StaffCreate.model_validate(
                {
                    "full_name": name,
                    "role": role,
                    "food_handler_cert_expires_on": str(today + timedelta(days=days))
                    if days
                    else None,
                }
            ),
        )
        for name, role, days in STAFF
    ]
    # Today's cooking shift needs four cooks; three are on it, so the day view warns.
    start = datetime.combine(today, time(2, 0), tzinfo=ZoneInfo(kitchen.timezone))
    shift = await create_shift(
        session,
        kitchen=kitchen,
        data=ShiftCreate.model_validate(
            {
                "name": "Masak pagi",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=8)).isoformat(),
                "requirements": {"cook": 4, "portioning": 3, "driver": 2},
            }
        ),
    )
    shift_row = await session.get(Shift, shift.id)
    assert shift_row is not None
    cooks = [s for s in staff if s.role == "cook"][:3]
    for person in cooks + [s for s in staff if s.role in {"portioning", "driver"}]:
        await assign(session, shift=shift_row, staff_id=person.id)

    # Lunch on every school day (Mon-Sat) from Monday of last week to tomorrow: past menus
    # approved, today's and tomorrow's drafts; counts for every past day but the last.
    first = today - timedelta(days=today.weekday() + 7)
    days = [first + timedelta(days=n) for n in range((today - first).days + 2)]
    days = [d for d in days if d.weekday() < 6]
    past = [d for d in days if d < today]
    enrolment = (
        await session.exec(
            select(SchoolEnrolment).join(School).where(School.kitchen_id == kitchen.id)
        )
    ).all()
    for n, day in enumerate(days):
        # Chicken days take a little tempe, egg days more, to keep protein up.
        chicken = n % 2 == 0
        items = [
            (recipes[0], 1.0),
            (recipes[1] if chicken else recipes[2], 1.0),
            (recipes[3], 0.6 if chicken else 1.0),
            (recipes[4], 1.0),
            (recipes[5], 1.0),
        ]
        menu = await create_menu(
            session,
            kitchen=kitchen,
            data=MenuCreate.model_validate(
                {
                    "service_date": str(day),
                    "meal_type": "lunch",
                    "items": [{"recipe_id": str(r.id), "servings": k} for r, k in items],
                    "portion_factors": PORTION_FACTORS,
                }
            ),
        )
        if day < today:
            row = await session.get(Menu, menu.id)
            assert row is not None
            check = await nutrition_check(session, menu=row)
            reason = None if check.overall == "pass" else OVERRIDE
            await approve_menu(
                session, menu=row, principal=principal, data=MenuApprove(override_reason=reason)
            )
        if day in past[:-1]:
            counts = [
                {
                    "school_id": str(e.school_id),
                    "target_group": e.target_group,
                    "prepared": e.count,
                    "served": e.count - n % 4,
                    "returned": n % 4,
                }
                for e in enrolment
            ]
            await put_day(
                session,
                kitchen=kitchen,
                service_date=day,
                data=MealCountsPut.model_validate({"counts": counts}),
            )
        if day < today:
            await _safety_check(session, kitchen, day, late=n == 3)


async def _safety_check(session: AsyncSession, kitchen: Kitchen, day: date, *, late: bool) -> None:
    """The day's food-safety check: cooked before dawn, dispatched for lunch (one day late,
    so the health office's report shows a flag)."""
    zone = ZoneInfo(kitchen.timezone)
    cooked = datetime.combine(day, time(4, 30), tzinfo=zone)
    dispatched = cooked + timedelta(hours=5 if late else 2, minutes=15)
    await create_check(
        session,
        kitchen=kitchen,
        data=FoodSafetyCheckCreate.model_validate(
            {
                "service_date": day.isoformat(),
                "cooked_at": cooked.isoformat(),
                "dispatched_at": dispatched.isoformat(),
                "sample_retained": True,
                "organoleptic_ok": True,
                "core_temp_c": 82.5,
                "notes": "Pengiriman terlambat: mobil mogok" if late else None,
            }
        ),
    )
