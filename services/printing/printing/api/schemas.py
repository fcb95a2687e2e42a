"""Response models of the printing routes: they document what the use cases build (the
routes send those dicts with pydantic-core; the fuzz run checks the two agree)."""

from typing import Any

from pydantic import BaseModel, Field


class Product(BaseModel):
    id: str
    productId: str
    name: str
    productName: str
    model: str
    description: str
    image: str | None
    isActive: bool
    createdAt: str | None
    createdBy: str | None
    updatedAt: str | None
    updatedBy: str | None
    deletedAt: str | None
    deletedBy: str | None


class Products(BaseModel):
    products: list[Product]
    total: int


class Temperature(BaseModel):
    current: float | int | None
    target: float | int | None


class Position(BaseModel):
    x: float | int | None
    y: float | int | None
    z: float | int | None


class Realtime(BaseModel):
    nozzleTemperature: Temperature
    bedTemperature: Temperature
    innerTemperature: float | None
    position: Position
    fanEnabled: bool
    ledEnabled: bool
    layer: int | None
    layerCount: int | None


class CurrentJob(BaseModel):
    name: str | None
    progress: float | int
    timeRemaining: int
    printJobId: str | None
    startedAt: str | None


class Printer(BaseModel):
    id: str
    name: str
    deviceName: str
    model: str | None
    status: str = Field(description="ONLINE, OFFLINE, PRINTING, ...")
    lastOnline: str | None
    firmwareVersion: str | None
    realtimeStatus: Realtime | None
    currentJob: CurrentJob | None


class PrinterPage(BaseModel):
    printers: list[Printer]
    total: int
    page: int
    size: int


class PrinterList(BaseModel):
    printers: list[Printer]


class Bound(BaseModel):
    message: str
    printer: Printer


class OnePrinter(BaseModel):
    printer: Printer


class PrinterStatus(BaseModel):
    status: str
    realtimeStatus: Realtime | None
    currentJob: CurrentJob | None
    updatedAt: str


class Job(BaseModel):
    id: str
    name: str
    status: str
    printStatus: str
    sliceTaskId: str | None
    createdAt: str | None


class JobStarted(BaseModel):
    job: Job
    taskId: str


class SliceCreated(BaseModel):
    modelId: str
    sliceTaskId: str
    sliceStatus: str
    gcodeUrl: str | None
    message: str


class Slice(BaseModel):
    sliceTaskId: str
    modelId: str
    sliceStatus: str
    progress: int
    gcodeUrl: str | None
    gcodeMetadata: dict[str, Any] | None = Field(description="What the slicer reported "
                                                             "(print time, filament, layers)")
    slicer: str | None
    errorMessage: str | None
    createdAt: str | None
    updatedAt: str | None


class PrintSubmitted(BaseModel):
    requestId: str
    modelId: str
    sliceTaskId: str
    printJobId: str
    printStatus: str
    printerId: str
    message: str


class PrinterSummary(BaseModel):
    id: str
    deviceName: str
    name: str
    model: str | None


class PrintStatus(BaseModel):
    requestId: str
    modelId: str | None
    hasPrintTask: bool
    sliceTaskId: str | None
    printStatus: str
    sliceProgress: int
    printProgress: int
    printer: PrinterSummary | None
    errorMessage: str | None
    message: str | None = Field(None, description="Before any print job")
    printJobId: str | None = None
    sliceStatus: str | None = None
    gcodeUrl: str | None = None
    currentLayer: int | None = None
    layerCount: int | None = None
    timeRemaining: int | float | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
