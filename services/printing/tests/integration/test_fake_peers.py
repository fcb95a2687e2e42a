"""The Moonraker adapter and the HTTP slicer adapter against local fake servers following the
documented APIs, failures and timeouts included."""

import json

import httpx
import pytest
import trimesh

from lumi_shared.testing import running, serve_app
from printing.printers.base import PrinterRefused, PrinterUnavailable
from printing.printers.moonraker import MoonrakerPrinter
from printing.printers.registry import bind_code
from printing.slicing import HttpSlicer, PrintProfile, SliceError, SliceSource, metadata
from printing.slicing.planar import slice_bytes

from ..conftest import announce_model, headers, until
from ..fakes import fake_moonraker, fake_slicer_service, refuses_errors_and_silence


async def test_moonraker_upload_start_status_cancel_and_failures():
    app = fake_moonraker(api_key="k1")
    async with serve_app(app) as url:
        printer = MoonrakerPrinter(url, api_key="k1", timeout=1.0)
        assert (await printer.status()).state == "IDLE"
        assert await printer.upload("job.gcode", b"G28\nG1 X1 E1\n") == "job.gcode"
        assert app.state.printer["files"]["job.gcode"].startswith(b"G28")
        with pytest.raises(PrinterRefused):
            await printer.start("other.gcode")
        await printer.start("job.gcode")
        first = await printer.status()
        assert first.state == "PRINTING" and first.job == "job.gcode" and first.progress == 20
        assert first.nozzle == (209.5, 210.0) and first.layer == 1 and first.layer_count == 5
        states = [(await printer.status()).state for _ in range(4)]
        assert states[-1] == "COMPLETE"
        await printer.start("job.gcode")
        await printer.cancel()
        assert (await printer.status()).state == "CANCELLED"

        await refuses_errors_and_silence(app, printer)
        app.state.mode = "ok"
        wrong = MoonrakerPrinter(url, api_key="nope", timeout=1.0)
        with pytest.raises(PrinterUnavailable, match="credentials"):
            await wrong.status()
        await printer.aclose()
        await wrong.aclose()


class PlainFetcher:
    """Stands in for the SSRF-safe fetcher (which refuses loopback by design)."""

    async def fetch(self, url: str, *, max_bytes: int) -> bytes:
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).content[:max_bytes]


def _source(url: str) -> SliceSource:
    async def load() -> bytes:
        raise AssertionError("a remote slicer fetches the model itself")
    return SliceSource("m1", url, "stl", load)


async def test_http_slicer_statuses_cancel_fail_errors_and_timeouts():
    gcode = slice_bytes(trimesh.creation.box(extents=(10, 10, 2)).export(file_type="stl"),
                        "stl", PrintProfile())
    app = fake_slicer_service(gcode)
    async with serve_app(app) as url:
        slicer = HttpSlicer(url, fetcher=PlainFetcher(), poll_interval=0.01, request_timeout=1.0)
        text = await slicer.slice(_source("https://files.example/m1.stl"), PrintProfile(),
                                  timeout=10)
        assert text == gcode and metadata(text)["layer_count"] == 10
        with pytest.raises(SliceError, match="cancelled"):
            await slicer.slice(_source("https://files.example/cancel.stl"), PrintProfile(),
                               timeout=10)
        with pytest.raises(SliceError, match="non-manifold"):
            await slicer.slice(_source("https://files.example/fail.stl"), PrintProfile(),
                               timeout=10)
        with pytest.raises(SliceError, match="did not finish within"):
            await slicer.slice(_source("https://files.example/m1.stl"), PrintProfile(),
                               timeout=0.0)
        app.state.mode = "error"
        with pytest.raises(SliceError, match="HTTP 500") as failed:
            await slicer.slice(_source("https://files.example/m1.stl"), PrintProfile(), timeout=5)
        assert failed.value.retryable
        app.state.mode = "slow"
        with pytest.raises(SliceError, match="did not answer in time"):
            await slicer.slice(_source("https://files.example/m1.stl"), PrintProfile(), timeout=5)
        await slicer.client.aclose()
    gone = HttpSlicer(url, fetcher=PlainFetcher(), request_timeout=1.0)
    with pytest.raises(SliceError, match="unreachable"):
        await gone.slice(_source("https://files.example/m1.stl"), PrintProfile(), timeout=5)
    await gone.client.aclose()


async def test_a_configured_moonraker_printer_prints_a_job(make_app, settings, bus, storage):
    moonraker = fake_moonraker()
    async with serve_app(moonraker) as url:
        configured = settings.model_copy(update={"PRINTER_DEVICES": json.dumps(
            [{"deviceName": "K1", "kind": "moonraker", "url": url}])})
        app = make_app(settings=configured)
        async with running(app) as http:
            code = bind_code(settings.PRINTER_BIND_SECRET, "K1")
            assert (await http.post("/api/printers", json={"deviceName": "K1", "code": code},
                                    headers=headers("alice"))).status_code == 201
            ids = await announce_model(bus, storage)
            await until(http, f"/api/tasks/{ids['task_id']}/print-status", "alice", lambda d: True)
            r = await http.post(f"/api/tasks/{ids['task_id']}/print", json={"printerId": "K1"},
                                headers=headers("alice"))
            assert r.status_code == 200
            done = await until(http, f"/api/tasks/{ids['task_id']}/print-status", "alice",
                               lambda d: d["printStatus"] in ("PRINT_COMPLETE", "FAILED"),
                               timeout=60)
            assert done["printStatus"] == "PRINT_COMPLETE", done
            uploaded = moonraker.state.printer["files"]
            assert list(uploaded) == [f"{r.json()['data']['printJobId']}.gcode"]
            assert next(iter(uploaded.values())).startswith(b"; generated by lumi-planar")
            detail = (await http.get("/api/printers/K1", headers=headers("alice"))).json()
            assert detail["data"]["printer"]["firmwareVersion"] == "Klipper"
