"""Response models of the gallery routes: they document what `views` and the use cases
build (the routes send those dicts with pydantic-core; the fuzz run checks the two agree)."""

from pydantic import BaseModel, Field

from ..domain import InteractionType


class Owner(BaseModel):
    id: str | None
    name: str
    avatar: str | None


class GalleryModel(BaseModel):
    id: str
    name: str | None
    description: str | None
    previewImageUrl: str | None
    modelUrl: str | None
    format: str | None
    glbUrl: str | None
    objUrl: str | None
    mtlUrl: str | None
    textureUrl: str | None
    stlUrl: str | None
    fileSize: int | None
    faceCount: int | None
    vertexCount: int | None
    visibility: str | None
    sliceTaskId: str | None
    sliceStatus: str | None
    gcodeUrl: str | None
    printStatus: str | None
    publishedAt: str | None
    createdAt: str | None
    completedAt: str | None
    likeCount: int = Field(ge=0)
    favoriteCount: int = Field(ge=0)
    viewCount: int = Field(ge=0)
    downloadCount: int = Field(ge=0)
    user: Owner


class GalleryPage(BaseModel):
    items: list[GalleryModel]
    total: int = Field(ge=0)
    hasMore: bool


class Interactions(BaseModel):
    isAuthenticated: bool
    interactions: list[InteractionType]
    isLiked: bool | None = Field(None, description="Only when logged in")
    isFavorited: bool | None = Field(None, description="Only when logged in")


class Toggled(BaseModel):
    isInteracted: bool
    type: InteractionType
    likeCount: int = Field(ge=0)
    favoriteCount: int = Field(ge=0)


class Flags(BaseModel):
    isLiked: bool
    isFavorited: bool


class BatchInteractions(BaseModel):
    isAuthenticated: bool
    interactions: dict[str, Flags] = Field(description="By model id; empty when anonymous")
