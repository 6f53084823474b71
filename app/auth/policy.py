"""Who may call what: one access policy per family of routes (docs/api.md).

A policy names the roles that may use a family of routes at all (others get 403) and how
its objects are scoped: `kitchen` routes address an object of one kitchen, which callers
outside that kitchen's scope (a manager of another kitchen, an office of another region)
get as 404; `region` routes take a region that must lie within the caller's (403). The
loaders that enforce a policy are built from it by one factory (app/kitchens/access.py),
and the OpenAPI document lists each route's 401/403/404 from it (app/core/openapi.py).
"""

from dataclasses import dataclass
from typing import Literal

from app.auth.models import Role

ALL_ROLES = frozenset(Role)
# Kitchen operations a health office may read: schools, menus, meal counts, food safety.
OPS_READERS = frozenset({Role.admin, Role.kitchen_manager, Role.health_office})
# Kitchen staff: operations writes, and staff personal data (staff, shifts, timesheets).
KITCHEN_STAFF = frozenset({Role.admin, Role.kitchen_manager})
HEALTH = frozenset({Role.admin, Role.health_office})
AGRICULTURE = frozenset({Role.admin, Role.agriculture_office})
ADMIN_ONLY = frozenset({Role.admin})
# Incidents: the health office that investigates, and the kitchen that is investigated.
INCIDENT_READERS = frozenset({Role.admin, Role.health_office, Role.kitchen_manager})


@dataclass(frozen=True)
class Policy:
    """The roles a family of routes admits and the scope its objects lie in."""

    name: str
    roles: frozenset[Role]
    scope: Literal["none", "kitchen", "region"] = "none"

    @property
    def forbids_some_role(self) -> bool:
        """Whether a role may be refused (403) by this policy."""
        return self.roles != ALL_ROLES or self.scope == "region"

    @property
    def hides_out_of_scope(self) -> bool:
        """Whether objects outside the caller's scope answer 404."""
        return self.scope == "kitchen"


# Reference data and the caller's own identity: any authenticated caller.
ANYONE = Policy("any authenticated caller", ALL_ROLES)
ADMINISTRATION = Policy("administration", ADMIN_ONLY)
# A kitchen itself: every role reads the kitchens in its scope; only admin changes one.
KITCHEN_READ = Policy("kitchen, read", ALL_ROLES, "kitchen")
KITCHEN_ADMIN = Policy("kitchen, administration", ADMIN_ONLY, "kitchen")
OPS_READ = Policy("kitchen operations, read", OPS_READERS, "kitchen")
OPS_WRITE = Policy("kitchen operations and staff", KITCHEN_STAFF, "kitchen")
# Health office writes on a kitchen of its region (certificates, suspension, incidents).
HEALTH_WRITE = Policy("health office actions", HEALTH, "kitchen")
INCIDENT_READ = Policy("incidents, read", INCIDENT_READERS, "kitchen")
REFERENCE_WRITE = Policy("reference data, write", ADMIN_ONLY)
RECIPE_WRITE = Policy("recipes, write", KITCHEN_STAFF)
# Food prices: admin writes national and regional ones, a kitchen's managers its own.
PRICES_WRITE = Policy("food prices, write", KITCHEN_STAFF)
HEALTH_REPORTS = Policy("health office reports", HEALTH, "region")
AGRICULTURE_REPORTS = Policy("agriculture office reports", AGRICULTURE, "region")
