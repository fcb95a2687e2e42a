"""Route dependencies and the body types shared by the routes."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, StringConstraints

from ..deps import Deps


async def get_deps(request: Request) -> Deps:
    return request.app.state.printing


DepsDep = Annotated[Deps, Depends(get_deps)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
              Field(json_schema_extra={"pattern": r"\S"})]
