"""Every table, imported in one place so Alembic and the app see the same metadata."""

from app.auth.models import ApiKey, LoginFailure, User, UserKitchen
from app.core.audit import AuditEvent
from app.core.idempotency import IdempotencyRecord
from app.core.versions import DataVersion
from app.deliveries.models import Delivery
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheck
from app.incidents.models import Incident
from app.kitchens.models import Kitchen, KitchenSuspension
from app.mealcounts.models import MealCount, MealCountDay
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.nutrition.models import NutritionRule, NutritionTarget
from app.prices.models import FoodPrice
from app.recipes.models import Recipe, RecipeIngredient
from app.schools.models import School, SchoolEnrolment
from app.shifts.models import Assignment, Shift
from app.staff.models import Staff

__all__ = [
    "ApiKey",
    "Assignment",
    "AuditEvent",
    "DataVersion",
    "Delivery",
    "Food",
    "FoodPrice",
    "FoodSafetyCheck",
    "IdempotencyRecord",
    "Incident",
    "Kitchen",
    "KitchenSuspension",
    "LoginFailure",
    "MealCount",
    "MealCountDay",
    "Menu",
    "MenuItem",
    "MenuPortionFactor",
    "NutritionRule",
    "NutritionTarget",
    "Recipe",
    "RecipeIngredient",
    "School",
    "SchoolEnrolment",
    "Shift",
    "Staff",
    "User",
    "UserKitchen",
]
