"""The unit of the load benchmark's CPU figures: a bare FastAPI app.

One route answering the service's /healthz JSON, no middleware, served by bench/load.py
with the service's uvicorn flags. Its server CPU per request is what the cheapest whole
FastAPI request (HTTP parsing, routing, JSON) costs on the machine of the run.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """The service's liveness answer, with nothing in front of it."""
    return {"status": "ok"}
