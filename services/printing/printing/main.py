"""Composition root of the printing service (slicing and printers)."""

from typing import Any

from lumi_shared.service import build_infra, create_service_app, serve, setup_logging

from .config import Settings


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None):
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    return create_service_app(infra=infra, title="Lumi printing",
                              description="Slicing, printers and print jobs.")


def run() -> None:
    settings = Settings()
    setup_logging(settings)
    serve(create_app(settings), settings)
