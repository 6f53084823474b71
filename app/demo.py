"""A small demo world for `make run`: one kitchen in Kota Bandung, its schools and users."""

from sqlmodel import Session, select

import app.models  # noqa: F401
from app.apikeys.models import ApiKey
from app.auth.models import Role
from app.core.security import hash_api_key, hash_password
from app.kitchens.models import Kitchen
from app.schools.models import School, SchoolEnrolment
from app.users.models import User, UserKitchen

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

SCHOOLS = [
    ("20219101", "SD Negeri Merdeka 5", "sd", {"7-9": 180, "10-12-m": 62, "10-12-f": 66}),
    ("20219102", "SMP Negeri 7 Bandung", "smp", {"13-15-m": 210, "13-15-f": 224}),
    ("20219103", "TK Pertiwi Citarum", "paud", {"4-6": 85}),
]


def _user(session: Session, username: str, password: str, full_name: str, role: Role) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = User(
            username=username, password_hash=hash_password(password), full_name=full_name, role=role
        )
        session.add(user)
        session.flush()
    return user


def _key(session: Session, name: str, key: str, role: Role, region: str) -> None:
    if session.exec(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key))).first() is None:
        session.add(
            ApiKey(
                name=name,
                role=role,
                region_code=region,
                key_hash=hash_api_key(key),
                key_prefix=key[:12],
            )
        )


def seed(session: Session) -> None:
    """Create the demo objects that are missing; running it twice changes nothing."""
    kitchen = session.exec(select(Kitchen).where(Kitchen.code == "SPPG-3273-001")).first()
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
        session.flush()
    for npsn, name, level, enrolment in SCHOOLS:
        if session.exec(select(School).where(School.npsn == npsn)).first() is None:
            school = School(kitchen_id=kitchen.id, npsn=npsn, name=name, level=level)
            session.add(school)
            session.flush()
            for group, count in enrolment.items():
                session.add(SchoolEnrolment(school_id=school.id, target_group=group, count=count))
    _user(session, *ADMIN, "Demo Administrator", Role.admin)
    manager = _user(session, *MANAGER, "Ibu Siti Rahmawati", Role.kitchen_manager)
    if session.get(UserKitchen, (manager.id, kitchen.id)) is None:
        session.add(UserKitchen(user_id=manager.id, kitchen_id=kitchen.id))
    _key(session, "Dinkes Kota Bandung (demo)", HEALTH_KEY, Role.health_office, "32.73")
    _key(
        session, "Dinas Pertanian Jawa Barat (demo)", AGRICULTURE_KEY, Role.agriculture_office, "32"
    )
    session.flush()
