"""Fixtures for the reliability tests: apps on the test's database with changed settings."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

ClientFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def client_with(settings: Settings) -> ClientFactory:
    """A TestClient for an app on this test's database with some settings changed."""

    @contextmanager
    def make(base_url: str = "http://testserver", **changes: Any) -> Iterator[TestClient]:
        app = create_app(settings.model_copy(update=changes))
        with TestClient(app, base_url=base_url, raise_server_exceptions=False) as c:
            yield c

    return make
