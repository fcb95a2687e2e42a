"""The FY device-service adapter against a local fake following api-contract §1.6: bearer token,
escaped ids, status mapping, HTTP errors, timeouts and malformed answers."""

import json

import pytest

from lumi_shared.testing import serve_app
from printing.printers.base import PrinterRefused, PrinterUnavailable
from printing.printers.fy import FyPrinter
from printing.printers.registry import DeviceRegistry

from ..fakes import fake_fy_device_service, refuses_errors_and_silence


async def test_fy_device_upload_start_status_and_failures():
    app = fake_fy_device_service(token="tok-1")
    device = app.state.device
    async with serve_app(app) as url:
        printer = FyPrinter(url, "FY 01/a?b", token="tok-1", gcode_base_url="https://files.example/g",
                            timeout=1.0)
        assert (await printer.status()).state == "IDLE"
        assert device["paths"][-1] == "/api/v1.0/my/device/FY%2001%2Fa%3Fb"
        assert device["auth"][-1] == "Bearer tok-1"
        ref = await printer.upload("job 1.gcode", b"G28\n")
        assert await printer.start(ref) == "job 1.gcode"
        assert device["started"] == [{"device_name": "FY 01/a?b", "file_name": "job 1.gcode",
                                      "gcode_url": "https://files.example/g/job%201.gcode",
                                      "user_id": "lumi-printing"}]
        state = await printer.status()
        assert (state.state, state.job, state.progress, state.time_remaining) == \
            ("PRINTING", "job 1.gcode", 40.0, 60)
        device["task"]["progress"] = 100
        assert (await printer.status()).state == "COMPLETE"
        device["status"] = 0
        with pytest.raises(PrinterUnavailable, match="offline"):
            await printer.status()
        with pytest.raises(PrinterRefused):
            await printer.cancel()

        await refuses_errors_and_silence(app, printer)
        app.state.mode = "garbage"
        with pytest.raises(PrinterUnavailable, match="malformed"):
            await printer.status()
        app.state.mode = "ok"
        no_url = FyPrinter(url, "FY-02", token="tok-1", timeout=1.0)
        with pytest.raises(PrinterRefused, match="HTTP 400"):
            await no_url.start("")
        wrong = FyPrinter(url, "FY-01", token="nope", timeout=1.0)
        with pytest.raises(PrinterUnavailable, match="credentials"):
            await wrong.status()
        for p in (printer, no_url, wrong):
            await p.aclose()


async def test_fy_devices_are_selected_from_printer_devices(settings):
    configured = settings.model_copy(update={
        "DEVICE_SERVICE_URL": "http://fy.invalid", "DEVICE_SERVICE_TOKEN": "from-settings",
        "PRINTER_DEVICES": json.dumps([{"deviceName": "FY-1", "kind": "fy", "deviceId": "42"}])})
    registry = DeviceRegistry(configured)
    adapter = registry.adapter(registry.get("FY-1"))
    assert isinstance(adapter, FyPrinter) and adapter.device_id == "42"
    assert adapter.http.base_url == "http://fy.invalid"
    assert adapter.http.client.headers["authorization"] == "Bearer from-settings"
    assert any(p["id"] == "fy-device" for p in registry.products())
    await registry.aclose()
