"""Loading an incident the caller may reach, and the gates of the incident routes."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import gate
from app.auth.models import Principal
from app.auth.policy import HEALTH_WRITE, INCIDENT_READ
from app.incidents.models import Incident
from app.kitchens.access import loader

# Admin, health offices of the kitchen's region and the kitchen's managers read an
# incident; anyone else gets 404, and an agriculture office 403.
ReadableIncident = Annotated[
    Incident, Depends(loader(INCIDENT_READ, Incident, param="incident_id", what="Incident"))
]
# Reporting one: admin and health offices (the school is then checked against the region).
IncidentReporter = Annotated[Principal, Depends(gate(HEALTH_WRITE))]
# Listing: the roles that read incidents (the list holds only those in the caller's scope).
IncidentReader = Annotated[Principal, Depends(gate(INCIDENT_READ))]
