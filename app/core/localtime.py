"""A kitchen's local calendar: its today and its ISO week, from its IANA time zone."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.core.types import utcnow


def local_today(timezone: str, *, now: datetime | None = None) -> date:
    """The date it is now in `timezone`."""
    return (now or utcnow()).astimezone(ZoneInfo(timezone)).date()


def local_date(instant: datetime, timezone: str) -> date:
    """The date an instant falls on in `timezone`."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def iso_week(day: date) -> tuple[date, date, str]:
    """Monday and Sunday of the ISO week holding `day`, and its label (`2026-W48`)."""
    monday = day - timedelta(days=day.weekday())
    year, week, _ = day.isocalendar()
    return monday, monday + timedelta(days=6), f"{year}-W{week:02d}"

# The time zone of national figures that name no kitchen (national prices "today"): WIB,
# where the programme's offices are.
NATIONAL_TIMEZONE = "Asia/Jakarta"
