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
from app.deliveries.models import Delivery, DeliveryCreate, DeliveryUpdate
from app.deliveries.service import create_delivery, update_delivery
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheckCreate
from app.foodsafety.service import create_check
from app.incidents.models import IncidentCreate
from app.incidents.service import create_incident
from app.kitchens.models import HygieneCertificate, Kitchen
from app.kitchens.oversight import put_certificate
from app.mealcounts.models import MealCountsPut
from app.mealcounts.service import put_day
from app.menus.models import Menu, MenuApprove, MenuCreate
from app.menus.service import approve_menu, create_menu, nutrition_check
from app.nutrition.models import MealType
from app.prices.models import FoodPrice, FoodPriceCreate
from app.prices.service import create_price, seed_reference_prices
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
    await _prices(session, kitchen, admin)
    if (await session.exec(select(Menu).where(Menu.kitchen_id == kitchen.id))).first() is None:
        await _operations(session, kitchen, admin)
    if (
        await session.exec(select(Delivery).where(Delivery.kitchen_id == kitchen.id))
    ).first() is None:
        await _after_the_kitchen(session, kitchen)


# Prices beyond the national list: West Java's eggs, and the demo kitchen's rice supplier.
# Illustrative, like part of the national list (docs/costs.md).
REGIONAL_PRICES = [("HR002", "32", 27_500, "Illustrative demo price for Jawa Barat")]
KITCHEN_PRICES = [("AR001", 12_900, "Illustrative: the demo kitchen's rice supplier")]


async def _prices(session: AsyncSession, kitchen: Kitchen, admin: User) -> None:
    """The shipped national price list (partly cited, partly illustrative), a regional
    price and one of the kitchen's own, from the start of last month (idempotent)."""
    await seed_reference_prices(session)
    principal = Principal(kind="user", id=admin.id, name=admin.username, role=Role.admin)
    today = local_today(kitchen.timezone)
    since = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    foods = {f.code: f.id for f in await session.exec(select(Food))}
    wanted = [
        {"food_id": foods[code], "price_per_kg": price, "region_code": region, "note": note}
        for code, region, price, note in REGIONAL_PRICES
    ] + [
        {"food_id": foods[code], "price_per_kg": price, "kitchen_id": kitchen.id, "note": note}
        for code, price, note in KITCHEN_PRICES
    ]
    for body in wanted:
        found = await session.exec(
            select(FoodPrice).where(
                FoodPrice.food_id == body["food_id"],
                FoodPrice.region_code == body.get("region_code"),
                FoodPrice.kitchen_id == body.get("kitchen_id"),
            )
        )
        if found.first() is None:
            data = FoodPriceCreate.model_validate({**body, "valid_from": since})
            await create_price(session, principal=principal, data=data)


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
OVERRIDE = (
    "Protein short or portion over budget for some groups; extra egg served at school, "
    "cost agreed with the district (demo data)"
)
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
            over = any(g.cost and g.cost.status == "over_budget" for g in check.groups)
            reason = None if check.overall == "pass" and not over else OVERRIDE
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


# A second kitchen of the district, whose hygiene certificate has lapsed: the health
# office's kitchen list shows it next to the demo kitchen's, which expires within a month.
NEIGHBOUR = ("SPPG-3273-002", "SPPG Cicadas", "32.73.01", "Jl. Cikutra, Cicadas, Kota Bandung")
NEIGHBOUR_SCHOOL = ("20219104", "SD Negeri Cicadas 3", "sd", {"7-9": 150, "10-12-f": 70})


async def _after_the_kitchen(session: AsyncSession, kitchen: Kitchen) -> None:
    """Certificates, each past lunch's deliveries (one late, one short) and an incident."""
    today = local_today(kitchen.timezone)
    await put_certificate(
        session,
        kitchen=kitchen,
        data=HygieneCertificate(
            number="SLHS/3273/0412/2023",
            issued_on=today - timedelta(days=3 * 365 - 20),
            expires_on=today + timedelta(days=20),
        ),
    )
    neighbour = (await session.exec(select(Kitchen).where(Kitchen.code == NEIGHBOUR[0]))).first()
    if neighbour is None:
        code, name, region, address = NEIGHBOUR
        neighbour = Kitchen(
            code=code, name=name, region_code=region, address=address, capacity_per_day=2500
        )
        session.add(neighbour)
        await session.flush()
        npsn, school_name, level, enrolment = NEIGHBOUR_SCHOOL
        school = School(kitchen_id=neighbour.id, npsn=npsn, name=school_name, level=level)
        session.add(school)
        await session.flush()
        for group, count in enrolment.items():
            session.add(SchoolEnrolment(school_id=school.id, target_group=group, count=count))
        await put_certificate(
            session,
            kitchen=neighbour,
            data=HygieneCertificate(
                number="SLHS/3273/0187/2023",
                issued_on=today - timedelta(days=3 * 365 + 45),
                expires_on=today - timedelta(days=46),
            ),
        )

    schools = (await session.exec(select(School).where(School.kitchen_id == kitchen.id))).all()
    pupils: dict[object, int] = {}
    enrolled = await session.exec(
        select(SchoolEnrolment).join(School).where(School.kitchen_id == kitchen.id)
    )
    for e in enrolled:
        pupils[e.school_id] = pupils.get(e.school_id, 0) + e.count
    zone = ZoneInfo(kitchen.timezone)
    first = today - timedelta(days=today.weekday() + 7)
    past = [first + timedelta(days=n) for n in range((today - first).days)]
    past = [d for d in past if d.weekday() < 6]
    late_day = past[3] if len(past) > 3 else None  # the day _safety_check dispatched late
    for day in past:
        dispatched = datetime.combine(day, time(4, 30), tzinfo=zone) + timedelta(
            hours=5 if day == late_day else 2, minutes=15
        )
        for n, school in enumerate(sorted(schools, key=lambda s: s.npsn)):
            departed = dispatched + timedelta(minutes=20 * n)
            arrived = departed + timedelta(minutes=30)
            portions = pupils.get(school.id, 0)
            made = await create_delivery(
                session,
                kitchen=kitchen,
                data=DeliveryCreate(
                    service_date=day,
                    school_id=school.id,
                    meal_type=MealType.lunch,
                    portions=portions,
                    departed_at=departed,
                ),
            )
            row = await session.get(Delivery, made.id)
            assert row is not None
            short = day == past[-1] and n == len(schools) - 1
            await update_delivery(
                session,
                delivery=row,
                data=DeliveryUpdate(
                    arrived_at=arrived,
                    received_by="Guru piket",
                    received_portions=portions - 6 if short else portions,
                    arrival_temp_c=61.5 if day != late_day else 48.0,
                    consumption_started_at=arrived + timedelta(minutes=20),
                    notes="6 kotak tumpah di jalan" if short else None,
                ),
            )
    if late_day is not None and schools:
        ill = min(schools, key=lambda s: s.npsn)
        key = (
            await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_api_key(HEALTH_KEY)))
        ).one()
        office = Principal(
            kind="api_key", id=key.id, name=key.name, role=Role.health_office, region_code="32.73"
        )
        await create_incident(
            session,
            principal=office,
            data=IncidentCreate(
                school_id=ill.id,
                meal_date=late_day,
                cases=14,
                hospitalised=2,
                onset_at=datetime.combine(late_day, time(13, 30), tzinfo=zone),
                symptoms=["mual", "muntah", "diare"],
                notes="Laporan Puskesmas Bandung Wetan (data demo)",
            ),
        )
