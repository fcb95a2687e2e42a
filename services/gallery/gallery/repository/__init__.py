"""Persistence of the gallery: the catalogue projection (with its counters and view markers)
and the users' interactions. Works on PyMongo's AsyncMongoClient and the in-process store."""

from .catalogue import CatalogueRepository, MongoCatalogueRepository
from .interactions import InteractionRepository, MongoInteractionRepository

__all__ = ["CatalogueRepository", "MongoCatalogueRepository", "InteractionRepository",
           "MongoInteractionRepository"]
