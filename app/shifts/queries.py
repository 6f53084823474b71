"""Hot reads of shifts and their assignments, as plain rows (the shift list, a shift, the
day view). Built once: building a statement costs more than running it (SQLAlchemy caches
the compiled SQL, not the construction)."""

from sqlalchemy import bindparam, select

from app.core.db import table_of
from app.shifts.models import Assignment, Shift

_shifts, _assignments = table_of(Shift), table_of(Assignment)

# The assignments of many shifts, in the order they were made.
ASSIGNMENT_ROWS = (
    select(_assignments)
    .where(_assignments.c.shift_id.in_(bindparam("shift_ids", expanding=True)))
    .order_by(_assignments.c.created_at, _assignments.c.id)
)
# A kitchen's shifts starting in [start, end), in start order.
SHIFTS_STARTING = (
    select(_shifts)
    .where(
        _shifts.c.kitchen_id == bindparam("kitchen_id"),
        _shifts.c.starts_at >= bindparam("start"),
        _shifts.c.starts_at < bindparam("end"),
    )
    .order_by(_shifts.c.starts_at, _shifts.c.name)
)
