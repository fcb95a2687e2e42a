"""Simulated 3D provider: does real work locally, turning the selected image into a
printable relief (OBJ + MTL + texture, GLB, STL, preview) in a few paced stages."""

import asyncio
from typing import Any

from ..artifacts import (
    build_relief,
    open_image,
    relief_glb,
    relief_obj_files,
    relief_preview,
    texture_image,
    write_stl,
)
from .base import GeneratedModel, JobReporter, ProviderJob


class SimulatedProvider:
    name = "simulated"

    def __init__(self, *, resolution: int = 80, size_mm: float = 80.0, base_mm: float = 3.0,
                 relief_mm: float = 8.0, step_delay: float = 0.3) -> None:
        self.resolution, self.size_mm = resolution, size_mm
        self.base_mm, self.relief_mm = base_mm, relief_mm
        self.step_delay = step_delay

    @classmethod
    def from_settings(cls, settings: Any) -> "SimulatedProvider":
        return cls(resolution=settings.MODEL_SIM_RESOLUTION, size_mm=settings.MODEL_SIM_SIZE_MM,
                   base_mm=settings.MODEL_SIM_BASE_MM, relief_mm=settings.MODEL_SIM_RELIEF_MM,
                   step_delay=settings.MODEL_SIM_STEP_DELAY)

    async def _stage(self, reporter: JobReporter, progress: int) -> None:
        await reporter.progress(progress, "RUN")
        if self.step_delay > 0:
            await asyncio.sleep(self.step_delay)

    async def generate(self, job: ProviderJob, reporter: JobReporter) -> GeneratedModel:
        await reporter.submitted(job.resume_job_id or f"sim-{job.model_id}")
        await self._stage(reporter, 5)
        image = await asyncio.to_thread(open_image, await job.load_image())
        await self._stage(reporter, 15)
        heights, mesh = await asyncio.to_thread(
            build_relief, image, resolution=self.resolution, size_mm=self.size_mm,
            base_mm=self.base_mm, relief_mm=self.relief_mm)
        await self._stage(reporter, 35)
        texture = await asyncio.to_thread(texture_image, image)
        files = await asyncio.to_thread(relief_obj_files, mesh, texture)
        await self._stage(reporter, 55)
        files["model.glb"] = await asyncio.to_thread(relief_glb, mesh, files["material.png"])
        await self._stage(reporter, 70)
        files["model.stl"] = await asyncio.to_thread(write_stl, mesh.vertices, mesh.faces)
        await self._stage(reporter, 85)
        files["preview.png"] = await asyncio.to_thread(
            relief_preview, heights, texture, size_mm=self.size_mm, relief_mm=self.relief_mm)
        await reporter.progress(95, "RUN")
        return GeneratedModel(files=files, face_count=mesh.face_count,
                              vertex_count=mesh.vertex_count,
                              provider_job_id=job.resume_job_id or f"sim-{job.model_id}")
