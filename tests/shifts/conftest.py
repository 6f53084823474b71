"""A small world for shift tests: kitchens in three Indonesian time zones and their people."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import make_api_key, make_kitchen, make_manager


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    """Kitchen `a` (Jakarta, WIB), `wita` (Makassar), `wit` (Jayapura), `b` another kitchen."""
    a = make_kitchen(client, admin, region_code="32.73.01", timezone="Asia/Jakarta")
    wita = make_kitchen(client, admin, region_code="73.71.01", timezone="Asia/Makassar")
    wit = make_kitchen(client, admin, region_code="91.71.01", timezone="Asia/Jayapura")
    b = make_kitchen(client, admin, region_code="32.73.02", timezone="Asia/Jakarta")
    return {
        "a": a,
        "wita": wita,
        "wit": wit,
        "b": b,
        "admin": admin,
        "manager": make_manager(client, admin, a["id"], wita["id"], wit["id"]),
        "manager_b": make_manager(client, admin, b["id"]),
        "health": make_api_key(client, admin, "health_office", "32.73")[1],
        "agri": make_api_key(client, admin, "agriculture_office", "32")[1],
    }
