"""Build a synthetic nation of kitchens straight into the database.

Kitchens spread over the provinces by population, each with about twelve schools and
their enrolment by AKG group, fifty staff, two shifts a school day with their assignments,
one lunch a school day (Monday to Saturday) of five national recipes from a two-week cycle
menu, and, for past days, meal counts and food-safety checks. Past and today's menus are
approved with the nutrition check computed as the service computes it; the next week's
are drafts. The same seed and `today` give the same rows.

Speed matters (2,000 kitchens x 60 days is about ten million rows): ids are made from the
seeded generator, JSON shared by many rows is encoded once, and PostgreSQL loads through
binary COPY with keys, indexes and foreign keys rebuilt once at the end.
"""

import json
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import app.models  # noqa: F401  (every table in the metadata)
from app.auth.models import Role
from app.core.db import metadata
from app.core.security import hash_password
from app.menus.models import CheckStatus
from app.menus.service import group_check  # the service's own arithmetic
from app.nutrition.models import NUTRIENTS, NutritionTarget, TargetGroup
from app.synthetic.catalogue import (
    FAMILY_NAMES,
    FOOD_HANDLING,
    GIVEN_NAMES,
    LUNCH_ENERGY_SHARE,
    MENU_CATEGORIES,
    RECIPES,
    SCHOOL_MIX,
    SCHOOL_NAMES,
    SHIFTS,
    STAFF_ROLES,
)
from app.synthetic.geography import Province, allocate_kitchens
from app.synthetic.writer import BulkWriter, Row

SIZES: dict[str, tuple[int, int]] = {"small": (100, 30), "large": (2000, 60)}
SCHOOLS_PER_KITCHEN = 12
FUTURE_DAYS = 7
CYCLE_DAYS = 12  # a two-week cycle menu of school days
MENU_POOL = 150  # lunches the regional nutritionists offer; each kitchen picks its cycle
# Every synthetic manager logs in as its kitchen code in lower case with this password.
MANAGER_PASSWORD = "synthetic-manager-password"
DEFAULT_LUNCH_RULE = (0.30, 0.35)
OVERRIDE_REASON = "Menu disesuaikan dengan ketersediaan bahan lokal minggu ini"
BATCH_KITCHENS = 25
UNSCALED_SHARE = 0.08
# Issue 18's world: certificates, deliveries and incidents (shares of kitchens or rows).
CERTIFICATE_MISSING_SHARE = 0.08
CERTIFICATE_EXPIRED_SHARE = 0.07
CERTIFICATE_EXPIRING_SHARE = 0.05
OVER_CAPACITY_SHARE = 0.03
DELIVERY_WAIT_SHARE = 0.02
SHORT_DELIVERY_SHARE = 0.03
UNREPORTED_ARRIVAL_SHARE = 0.003
INCIDENT_SHARE = 0.015
SYMPTOMS = ("mual", "muntah", "diare", "sakit perut", "pusing", "demam", "lemas")

# UUID version 4 and RFC 4122 variant bits, set on seeded random 128-bit numbers.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_V4_SET = (0x4000 << 64) | (0x8000 << 48)

Id = uuid.UUID


class GeneratorError(Exception):
    """The database is not ready for generation (not empty, or no food catalogue)."""


@dataclass(frozen=True)
class Plan:
    """What to build: how many kitchens, how many past days up to `today`, which seed."""

    kitchens: int
    days: int
    seed: int = 1
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    # The share of kitchens where pupils fell ill after one of the lunches.
    incident_share: float = INCIDENT_SHARE

    def school_days(self) -> list[date]:
        """Monday to Saturday from `days` ago to a week ahead."""
        first = self.today - timedelta(days=self.days)
        span = self.days + FUTURE_DAYS + 1
        days = (first + timedelta(days=n) for n in range(span))
        return [d for d in days if d.weekday() < 6]


@dataclass(frozen=True)
class RecipeInfo:
    id: Id
    nutrients: dict[str, float]
    incomplete: frozenset[str]


@dataclass(frozen=True)
class Lunch:
    """One lunch of the pool: its recipes, per-group factors and per-group checks as JSON."""

    recipe_ids: tuple[Id, ...]
    factors: dict[str, float]
    group_checks: dict[str, tuple[bool, str]]
    incomplete: tuple[str, ...]


COLUMNS: dict[str, tuple[str, ...]] = {
    "recipes": ("id", "created_at", "updated_at", "kitchen_id", "name", "category"),
    "recipe_ingredients": (
        "id", "created_at", "updated_at", "recipe_id", "food_id", "grams", "position",
    ),
    "kitchens": (
        "id", "created_at", "updated_at", "code", "name", "region_code", "timezone",
        "address", "capacity_per_day", "hygiene_certificate_number",
        "hygiene_certificate_issued_on", "hygiene_certificate_expires_on",
    ),
    "users": (
        "id", "created_at", "updated_at", "username", "password_hash", "full_name", "role",
        "region_code", "active",
    ),
    "user_kitchens": ("user_id", "kitchen_id"),
    "schools": ("id", "created_at", "updated_at", "kitchen_id", "npsn", "name", "level"),
    "school_enrolments": ("school_id", "target_group", "count"),
    "staff": (
        "id", "created_at", "updated_at", "kitchen_id", "full_name", "role", "phone",
        "food_handler_cert_expires_on", "health_check_on", "active",
    ),
    "shifts": (
        "id", "created_at", "updated_at", "kitchen_id", "name", "starts_at", "ends_at",
        "requirements",
    ),
    "assignments": (
        "id", "created_at", "updated_at", "shift_id", "staff_id", "role", "starts_at",
        "ends_at", "clock_in_at", "clock_out_at",
    ),
    "menus": (
        "id", "created_at", "updated_at", "kitchen_id", "service_date", "meal_type", "status",
        "approved_by", "approved_by_name", "approved_at", "approval_check", "override_reason",
    ),
    "menu_items": (
        "id", "created_at", "updated_at", "menu_id", "recipe_id", "servings", "position",
    ),
    "menu_portion_factors": ("menu_id", "target_group", "factor"),
    "meal_count_days": ("id", "created_at", "updated_at", "kitchen_id", "service_date"),
    "meal_counts": (
        "id", "created_at", "updated_at", "day_id", "kitchen_id", "service_date", "school_id",
        "target_group", "planned", "prepared", "served", "returned",
    ),
    "food_safety_checks": (
        "id", "created_at", "updated_at", "kitchen_id", "service_date", "cooked_at",
        "dispatched_at", "sample_retained", "organoleptic_ok", "core_temp_c", "notes", "flags",
    ),
    "deliveries": (
        "id", "created_at", "updated_at", "kitchen_id", "school_id", "service_date",
        "meal_type", "portions", "departed_at", "arrived_at", "received_by",
        "received_portions", "arrival_temp_c", "consumption_started_at", "notes",
    ),
    "incidents": (
        "id", "created_at", "updated_at", "kitchen_id", "school_id", "meal_date", "cases",
        "hospitalised", "onset_at", "symptoms", "notes", "reported_by_kind",
        "reported_by_id", "reported_by_name",
    ),
}  # fmt: skip
# Columns that start out the same in every generated row, appended to COLUMNS: version
# counters (app/core/models.py) and the flag set once the menus exist (_MARK_APPROVED_USE).
INITIAL: dict[str, tuple[tuple[str, object], ...]] = {
    "recipes": (("version", 1), ("in_approved_menu", False)),
    "kitchens": (("version", 1), ("data_version", 1)),
    "users": (("version", 1), ("token_version", 1)),
    **{
        table: (("version", 1),)
        for table in (
            "schools", "staff", "shifts", "menus", "meal_count_days", "food_safety_checks",
            "deliveries",
        )
    },
}
# A recipe an approved menu uses may no longer change: mark those the approved menus use.
_MARK_APPROVED_USE = (
    "UPDATE recipes SET in_approved_menu = TRUE WHERE id IN ("
    " SELECT menu_items.recipe_id FROM menu_items"
    " JOIN menus ON menus.id = menu_items.menu_id WHERE menus.status = 'approved')"
)
# Per-kitchen tables, parents before children.
KITCHEN_TABLES = tuple(t for t in COLUMNS if t not in ("recipes", "recipe_ingredients"))


def _write(writer: BulkWriter, table: str, rows: list[Row]) -> int:
    """Write rows of COLUMNS[table], with the table's INITIAL values appended."""
    initial = INITIAL.get(table, ())
    if not initial:
        return writer.write(table, COLUMNS[table], rows)
    values = tuple(value for _, value in initial)
    columns = (*COLUMNS[table], *(name for name, _ in initial))
    return writer.write(table, columns, ((*row, *values) for row in rows))


def _uuid(rng: random.Random) -> Id:
    # What uuid.UUID(int=..., version=4) makes, without its argument checks: a quarter of
    # the generator's time otherwise. The same path unpickling takes (UUID.__setstate__).
    made = _new_uuid(uuid.UUID)
    _set(made, "int", rng.getrandbits(128) & _V4_CLEAR | _V4_SET)
    _set(made, "is_safe", uuid.SafeUUID.unknown)
    return made


_new_uuid = object.__new__
_set = object.__setattr__


def _name(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"


def _local(day: date, hour: int, minute: int, offset: timedelta) -> datetime:
    """A kitchen-local wall time as UTC (Indonesia keeps no daylight saving)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - offset


@dataclass
class Reference:
    """National recipes (made here) and the pool of lunches built from them."""

    lunches: list[Lunch]
    rule: tuple[float, float]


def _load_reference(engine: Engine, writer: BulkWriter, rng: random.Random) -> Reference:
    """Create the national recipes from catalogue foods and a pool of checked lunches."""
    codes = {code for _, _, ingredients in RECIPES for code, _ in ingredients}
    foods_t, targets_t, rules_t = (
        metadata.tables[t] for t in ("foods", "nutrition_targets", "nutrition_rules")
    )
    with engine.connect() as conn:
        food_rows = conn.execute(
            select(foods_t.c.code, foods_t.c.id, *[foods_t.c[n] for n in NUTRIENTS]).where(
                foods_t.c.code.in_(codes)
            )
        )
        foods = {row[0]: row[1:] for row in food_rows}
        target_rows = conn.execute(select(targets_t.c.code, *[targets_t.c[n] for n in NUTRIENTS]))
        targets = {row.code: NutritionTarget(**row._mapping) for row in target_rows}
        found = conn.execute(
            select(rules_t.c.min_share, rules_t.c.max_share).where(rules_t.c.meal_type == "lunch")
        ).first()
    missing = sorted(codes - foods.keys())
    if missing or not targets:
        raise GeneratorError(
            "the food catalogue or the AKG targets are missing (run `alembic upgrade head`); "
            f"foods not found: {', '.join(missing) or 'none'}"
        )
    rule = (found[0], found[1]) if found else DEFAULT_LUNCH_RULE
    now = datetime.now(UTC)
    by_category: dict[str, list[RecipeInfo]] = {c: [] for c in MENU_CATEGORIES}
    recipe_rows: list[Row] = []
    ingredient_rows: list[Row] = []
    for name, category, ingredients in RECIPES:
        recipe_id = _uuid(rng)
        recipe_rows.append((recipe_id, now, now, None, name, category))
        totals = dict.fromkeys(NUTRIENTS, 0.0)
        incomplete: set[str] = set()
        for position, (code, grams) in enumerate(ingredients):
            food_id, *values = foods[code]
            ingredient_rows.append((_uuid(rng), now, now, recipe_id, food_id, grams, position))
            for nutrient, value in zip(NUTRIENTS, values, strict=True):
                if value is None:
                    incomplete.add(nutrient)
                else:
                    totals[nutrient] += grams / 100 * value
        by_category[category].append(RecipeInfo(recipe_id, totals, frozenset(incomplete)))
    _write(writer, "recipes", recipe_rows)
    _write(writer, "recipe_ingredients", ingredient_rows)

    lunches = []
    for _ in range(MENU_POOL):
        items = [rng.choice(by_category[c]) for c in MENU_CATEGORIES]
        portion = {n: sum(r.nutrients[n] for r in items) for n in NUTRIENTS}
        factors: dict[str, float] = {}
        checks: dict[str, tuple[bool, str]] = {}
        # Most lunches are scaled per group to mid-band energy; a few are served as one
        # standard portion to all, fail the check for some groups and carry an override.
        scaled = rng.random() > UNSCALED_SHARE
        for group, target in targets.items():
            factor = 1.0
            if scaled:
                energy = (target.energy_kcal or 0.0) * LUNCH_ENERGY_SHARE
                factor = round(energy / portion["energy_kcal"], 2)
            check = group_check(group, factor, portion, target, *rule)
            factors[group] = factor
            body = json.dumps(check.model_dump(mode="json"), separators=(",", ":"))
            checks[group] = (check.status is CheckStatus.passed, body)
        incomplete_all = tuple(sorted(set().union(*(r.incomplete for r in items))))
        lunches.append(Lunch(tuple(r.id for r in items), factors, checks, incomplete_all))
    return Reference(lunches, rule)


class KitchenBuilder:
    """Rows of one kitchen and everything it owns, appended to per-table lists."""

    def __init__(self, plan: Plan, ref: Reference, manager_hash: str) -> None:
        self.plan = plan
        self.ref = ref
        self.manager_hash = manager_hash
        self.school_days = plan.school_days()
        self.setup_at = datetime.combine(
            plan.today - timedelta(days=plan.days + 30), time(2), tzinfo=UTC
        )
        self.kitchens_in_regency: Counter[str] = Counter()
        self.schools_in_province: Counter[str] = Counter()
        self.rows: dict[str, list[Row]] = {t: [] for t in KITCHEN_TABLES}

    def take_rows(self) -> dict[str, list[Row]]:
        """The rows built since the last call."""
        rows, self.rows = self.rows, {t: [] for t in KITCHEN_TABLES}
        return rows

    def build(self, index: int, province: Province) -> None:
        rng = random.Random(f"{self.plan.seed}:{index}")
        offset = ZoneInfo(province.timezone).utcoffset(datetime(2000, 1, 1)) or timedelta()
        regency = rng.choice(province.regency_codes())
        self.kitchens_in_regency[regency] += 1
        seq = self.kitchens_in_regency[regency]
        kitchen_id = _uuid(rng)
        code = f"SPPG-{regency.replace('.', '')}-{seq:03d}"
        at = self.setup_at
        schools = self._schools(rng, kitchen_id, province)
        pupils = Counter[str]()
        for _, enrolment in schools:
            pupils.update(enrolment)
        capacity = (sum(pupils.values()) * 11 // 10 + 99) // 100 * 100
        # Certificates, deliveries and incidents draw from their own stream, so the rest of
        # the kitchen is what it was before they were generated.
        oversight = random.Random(f"{self.plan.seed}:{index}:oversight")
        if oversight.random() < OVER_CAPACITY_SHARE:
            capacity = sum(pupils.values()) * 9 // 10 // 100 * 100
        certificate = _hygiene_certificate(oversight, self.plan.today, regency)
        self.rows["kitchens"].append(
            (
                kitchen_id, at, at, code, f"SPPG {province.name} {regency[-2:]}-{seq}",
                f"{regency}.{rng.randint(1, 24):02d}", province.timezone,
                f"Jl. Pendidikan No. {rng.randint(1, 200)}, {province.name}", capacity,
                *certificate,
            )
        )  # fmt: skip
        manager = (_uuid(rng), _name(rng))
        self.rows["users"].append(
            (
                manager[0], at, at, code.lower(), self.manager_hash, manager[1],
                Role.kitchen_manager.value, None, True,
            )
        )  # fmt: skip
        self.rows["user_kitchens"].append((manager[0], kitchen_id))
        staff = self._staff(rng, kitchen_id)
        groups = [g.value for g in TargetGroup if pupils.get(g.value)]  # AKG order, as checks
        cycle = [rng.choice(self.ref.lunches) for _ in range(CYCLE_DAYS)]
        requirements = [json.dumps({r: len(staff[r]) for r in roles}) for *_, roles in SHIFTS]
        today = self.plan.today
        served: list[tuple[date, Id, bool]] = []  # (day, school, late) of every delivery
        for n, day in enumerate(self.school_days):
            self._shifts(rng, kitchen_id, offset, day, staff, requirements)
            self._menu(rng, kitchen_id, offset, day, groups, cycle[n % CYCLE_DAYS], manager)
            if day < today:
                cooking = self._food_safety(rng, kitchen_id, offset, day)
                served += self._deliveries(oversight, kitchen_id, day, schools, cooking)
            if day <= today:
                self._meal_counts(rng, kitchen_id, offset, day, schools)
        self._incident(oversight, kitchen_id, offset, province, served)

    def _schools(
        self, rng: random.Random, kitchen_id: Id, province: Province
    ) -> list[tuple[Id, dict[str, int]]]:
        mixes = rng.choices(SCHOOL_MIX, weights=[m[1] for m in SCHOOL_MIX], k=SCHOOLS_PER_KITCHEN)
        schools: list[tuple[Id, dict[str, int]]] = []
        at = self.setup_at
        for n, (level, _, (low, high), shares) in enumerate(sorted(mixes)):
            school_id = _uuid(rng)
            self.schools_in_province[province.code] += 1
            npsn = int(province.code) * 1_000_000 + self.schools_in_province[province.code]
            name = f"{SCHOOL_NAMES[level]} {n + 1} {kitchen_id.hex[:4].upper()}"
            self.rows["schools"].append((school_id, at, at, kitchen_id, f"{npsn:08d}", name, level))
            total = rng.randint(low, high)
            enrolment = {group: round(total * share) for group, share in shares}
            for group, count in enrolment.items():
                self.rows["school_enrolments"].append((school_id, group, count))
            schools.append((school_id, enrolment))
        return schools

    def _staff(self, rng: random.Random, kitchen_id: Id) -> dict[str, list[tuple[Id, date | None]]]:
        today = self.plan.today
        at = self.setup_at
        by_role: dict[str, list[tuple[Id, date | None]]] = {}
        for role, count in STAFF_ROLES:
            for _ in range(count):
                staff_id = _uuid(rng)
                cert: date | None = None
                if role in FOOD_HANDLING:
                    # Most certificates run for months; a few expire within 30 days (alerts).
                    soon = rng.random() < 0.04
                    days = rng.randint(1, 30) if soon else rng.randint(60, 700)
                    cert = today + timedelta(days=days)
                phone = f"08{rng.randint(1_100_000_000, 9_999_999_999)}"
                checked = today - timedelta(days=rng.randint(0, 180))
                self.rows["staff"].append(
                    (staff_id, at, at, kitchen_id, _name(rng), role, phone, cert, checked, True)
                )
                by_role.setdefault(role, []).append((staff_id, cert))
        return by_role

    def _shifts(
        self,
        rng: random.Random,
        kitchen_id: Id,
        offset: timedelta,
        day: date,
        staff: dict[str, list[tuple[Id, date | None]]],
        requirements: list[str],
    ) -> None:
        past = day < self.plan.today
        created = _local(day - timedelta(days=7), 9, 0, offset)
        rand = rng.random
        shifts, assignments = self.rows["shifts"], self.rows["assignments"]
        minute = timedelta(minutes=1)
        for (name, hour, hours, roles), required in zip(SHIFTS, requirements, strict=True):
            shift_id = _uuid(rng)
            starts = _local(day, hour, 0, offset)
            ends = starts + timedelta(hours=hours)
            shifts.append((shift_id, created, created, kitchen_id, name, starts, ends, required))
            for role in roles:
                members = staff[role]
                # Now and then someone is missing from a shift: it is then not fully staffed.
                if len(members) > 1 and rand() < 0.03:
                    members = members[:-1]
                for staff_id, cert in members:
                    if cert is not None and cert < day:
                        continue  # an expired certificate keeps a food handler off the shift
                    clock_in = clock_out = None
                    if past:
                        clock_in = starts + int(rand() * 25 - 15) * minute
                        if rand() > 0.01:
                            clock_out = ends + int(rand() * 50 - 10) * minute
                    updated = clock_out or clock_in or created
                    assignments.append(
                        (
                            _uuid(rng), created, updated, shift_id, staff_id, role, starts, ends,
                            clock_in, clock_out,
                        )
                    )  # fmt: skip

    def _menu(
        self,
        rng: random.Random,
        kitchen_id: Id,
        offset: timedelta,
        day: date,
        groups: list[str],
        lunch: Lunch,
        manager: tuple[Id, str],
    ) -> None:
        menu_id = _uuid(rng)
        created = _local(day - timedelta(days=10), 10, 0, offset)
        items = self.rows["menu_items"]
        for position, recipe_id in enumerate(lunch.recipe_ids):
            items.append((_uuid(rng), created, created, menu_id, recipe_id, 1.0, position))
        factors = self.rows["menu_portion_factors"]
        for group in groups:
            factors.append((menu_id, group, lunch.factors[group]))
        if day > self.plan.today:
            self.rows["menus"].append(
                (
                    menu_id, created, created, kitchen_id, day, "lunch", "draft",
                    None, None, None, None, None,
                )
            )  # fmt: skip
            return
        passed = bool(groups) and all(lunch.group_checks[g][0] for g in groups)
        low, high = self.ref.rule
        approved = _local(day - timedelta(days=3), 14, 0, offset)
        check = (
            f'{{"menu_id":"{menu_id}","meal_type":"lunch","min_share":{low},'
            f'"max_share":{high},"overall":"{"pass" if passed else "fail"}",'
            f'"incomplete_nutrients":{json.dumps(list(lunch.incomplete))},'
            f'"computed_at":"{approved.isoformat()}",'
            f'"groups":[{",".join(lunch.group_checks[g][1] for g in groups)}]}}'
        )
        self.rows["menus"].append(
            (
                menu_id, created, approved, kitchen_id, day, "lunch", "approved", manager[0],
                manager[1], approved, check, None if passed else OVERRIDE_REASON,
            )
        )  # fmt: skip

    def _meal_counts(
        self,
        rng: random.Random,
        kitchen_id: Id,
        offset: timedelta,
        day: date,
        schools: list[tuple[Id, dict[str, int]]],
    ) -> None:
        today = day == self.plan.today
        rand = rng.random
        if not today and rand() < 0.02:
            return  # a day the kitchen never reported
        at = _local(day, 6 if today else 15, 0, offset)
        day_id = _uuid(rng)
        self.rows["meal_count_days"].append((day_id, at, at, kitchen_id, day))
        counts = self.rows["meal_counts"]
        for school_id, enrolment in schools:
            for group, planned in enrolment.items():
                if today:
                    counts.append(
                        (_uuid(rng), at, at, day_id, kitchen_id, day, school_id, group, planned,
                         None, None, None)
                    )  # fmt: skip
                    continue
                # Prepared within a couple of percent of plan; a few pupils absent; a few
                # portions come back.
                prepared = max(0, planned + int(rand() * planned * 0.03 - planned * 0.02))
                served = prepared - int(rand() * prepared * 0.08)
                returned = int(rand() * served * 0.05)
                counts.append(
                    (_uuid(rng), at, at, day_id, kitchen_id, day, school_id, group, planned,
                     prepared, served, returned)
                )  # fmt: skip

    def _food_safety(
        self, rng: random.Random, kitchen_id: Id, offset: timedelta, day: date
    ) -> tuple[datetime, datetime]:
        """The day's check; returns when cooking ended and when the food was dispatched."""
        rand = rng.random
        cooked = _local(day, 4, int(rand() * 60), offset)
        late = rand() < 0.03
        dispatched = cooked + timedelta(minutes=int(rand() * 140) + (250 if late else 60))
        sample = rand() > 0.02
        organoleptic = rand() > 0.01
        core_temp = round(76.0 + rand() * 16 if rand() > 0.02 else 68.0 + rand() * 6.9, 1)
        flags = [
            flag
            for flag, raised in (
                ("no_sample_retained", not sample),
                ("organoleptic_failed", not organoleptic),
                ("core_temp_below_75c", core_temp < 75),
                ("dispatch_over_4h", dispatched - cooked > timedelta(hours=4)),
            )
            if raised
        ]
        self.rows["food_safety_checks"].append(
            (
                _uuid(rng), dispatched, dispatched, kitchen_id, day, cooked, dispatched, sample,
                organoleptic, core_temp, None, json.dumps(flags),
            )
        )  # fmt: skip
        return cooked, dispatched

    def _deliveries(
        self,
        rng: random.Random,
        kitchen_id: Id,
        day: date,
        schools: list[tuple[Id, dict[str, int]]],
        cooking: tuple[datetime, datetime],
    ) -> list[tuple[date, Id, bool]]:
        """Each school's lunch of a past day, from dispatch to the first bite.

        Drivers take four schools a trip, half an hour apart; the food arrives within the
        hour and is eaten soon after, so most lunches are eaten within four hours of
        cooking. The late dispatches of the food-safety checks, a school that waits for the
        break, a van that never reports its arrival and a few portions missing make the
        flagged ones.
        """
        cooked, dispatched = cooking
        rand = rng.random
        minute = timedelta(minutes=1)
        done = []
        for n, (school_id, enrolment) in enumerate(schools):
            portions = sum(enrolment.values())
            departed = dispatched + (n // 4) * 30 * minute + int(rand() * 10) * minute
            arrival = departed + int(15 + rand() * 45) * minute
            eating = arrival + int(10 + rand() * 35) * minute
            if rand() < DELIVERY_WAIT_SHARE:
                eating = arrival + int(120 + rand() * 120) * minute
            received = portions
            if rand() < SHORT_DELIVERY_SHARE:
                received = max(0, portions - 1 - int(rand() * 10))
            temp = round(55.0 + rand() * 15, 1)
            receiver = f"Guru piket {_name(rng)}"
            reported = rand() >= UNREPORTED_ARRIVAL_SHARE
            row: Row = (
                _uuid(rng), departed, eating if reported else departed, kitchen_id, school_id,
                day, "lunch", portions, departed,
                *((arrival, receiver, received, temp, eating) if reported else (None,) * 5),
                None,
            )  # fmt: skip
            self.rows["deliveries"].append(row)
            late = reported and eating - cooked > timedelta(hours=4)
            done.append((day, school_id, late))
        return done

    def _incident(
        self,
        rng: random.Random,
        kitchen_id: Id,
        offset: timedelta,
        province: Province,
        served: list[tuple[date, Id, bool]],
    ) -> None:
        """Now and then, pupils of a school fall ill after a lunch: most often one that was
        eaten late. The province's health office reports it."""
        if not served or rng.random() >= self.plan.incident_share:
            return
        late = [s for s in served if s[2]]
        day, school_id, _ = rng.choice(late or served)
        cases = 5 + int(rng.random() * 80)
        onset = _local(day, 12, 0, offset) + timedelta(minutes=int(rng.random() * 240))
        reported = onset + timedelta(hours=6)
        office = uuid.uuid5(uuid.NAMESPACE_URL, f"dapur:synthetic:dinkes:{province.code}")
        self.rows["incidents"].append(
            (
                _uuid(rng), reported, reported, kitchen_id, school_id, day, cases,
                int(cases * rng.random() * 0.2), onset,
                json.dumps(rng.sample(SYMPTOMS, k=2 + int(rng.random() * 3))),
                "Laporan Puskesmas (data sintetis)", "api_key", office,
                f"Dinas Kesehatan {province.name}",
            )
        )  # fmt: skip


def _hygiene_certificate(
    rng: random.Random, today: date, regency: str
) -> tuple[str | None, date | None, date | None]:
    """A kitchen's SLHS (number, issued, expires): most valid for three years, some close
    to expiry or expired, some never issued."""
    draw = rng.random()
    if draw < CERTIFICATE_MISSING_SHARE:
        return None, None, None
    if draw < CERTIFICATE_MISSING_SHARE + CERTIFICATE_EXPIRED_SHARE:
        expires = today - timedelta(days=1 + int(rng.random() * 200))
    elif draw < CERTIFICATE_MISSING_SHARE + CERTIFICATE_EXPIRED_SHARE + CERTIFICATE_EXPIRING_SHARE:
        expires = today + timedelta(days=int(rng.random() * 30))
    else:
        expires = today + timedelta(days=31 + int(rng.random() * 1000))
    issued = expires - timedelta(days=3 * 365 - 1)
    number = f"SLHS/{regency.replace('.', '')}/{int(rng.random() * 9000) + 1000}/{issued.year}"
    return number, issued, expires


def _ensure_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(metadata.tables["kitchens"])).scalar_one():
            raise GeneratorError("the database already has kitchens: generate into an empty one")


def generate(
    engine: Engine, plan: Plan, *, progress: Callable[[int], None] = lambda n: None
) -> dict[str, int]:
    """Write the nation described by `plan`; returns rows written per table."""
    _ensure_empty(engine)
    written: Counter[str] = Counter()
    with BulkWriter(engine, defer_constraints_of=KITCHEN_TABLES) as writer:
        ref = _load_reference(engine, writer, random.Random(f"{plan.seed}:reference"))
        written.update(recipes=len(RECIPES), recipe_ingredients=sum(len(r[2]) for r in RECIPES))
        builder = KitchenBuilder(plan, ref, hash_password(MANAGER_PASSWORD))
        provinces = allocate_kitchens(plan.kitchens)
        for start in range(0, plan.kitchens, BATCH_KITCHENS):
            stop = min(start + BATCH_KITCHENS, plan.kitchens)
            for index in range(start, stop):
                builder.build(index, provinces[index])
            for table, rows in builder.take_rows().items():
                written[table] += _write(writer, table, rows)
            progress(stop - start)
        writer.execute(_MARK_APPROVED_USE)
        writer.finish()
    return dict(written)
