"""Every table, imported in one place so Alembic and the app see the same metadata."""

from app.auth.models import ApiKey, LoginFailure, User, UserKitchen
from app.core.audit import AuditEvent
from app.core.idempotency import IdempotencyRecord
from app.core.versions import DataVersion
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheck
from app.kitchens.models import Kitchen
from app.mealcounts.models import MealCount, MealCountDay
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.nutrition.models import NutritionRule, NutritionTarget
from app.recipes.models import Recipe, RecipeIngredient
from app.schools.models import School, SchoolEnrolment
from app.shifts.models import Assignment, Shift
from app.staff.models import Staff

__all__ = [
    "ApiKey",
    "Assignment",
    "AuditEvent",
    "DataVersion",
    "Food",
    "FoodSafetyCheck",
    "IdempotencyRecord",
    "Kitchen",
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
