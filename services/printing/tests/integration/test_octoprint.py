"""The OctoPrint adapter against a real OctoPrint process and its virtual printer."""

import asyncio

import pytest
import trimesh

from printing.printers.base import PrinterUnavailable
from printing.printers.octoprint import OctoPrintPrinter
from printing.slicing.planar import slice_bytes
from printing.slicing.profile import PrintProfile

from ..octoprint_server import OctoPrintServer, free_port, octoprint_binary


@pytest.fixture(scope="module")
def octoprint(tmp_path_factory):
    binary = octoprint_binary()
    if not binary:
        pytest.skip("OctoPrint is not installed (bash .ci/octoprint.sh installs it)")
    server = OctoPrintServer(binary, tmp_path_factory.mktemp("octoprint"))
    try:
        problem = server.start()
        if problem:
            pytest.skip(f"OctoPrint could not start: {problem}")
        yield server
    finally:
        server.stop()


def small_gcode() -> bytes:
    box = trimesh.creation.box(extents=(8, 8, 0.6))
    profile = PrintProfile(nozzle_temperature=40, bed_temperature=30, skirt_loops=0)
    return slice_bytes(box.export(file_type="stl"), "stl", profile).encode()


async def _until(printer, states: set[str], timeout: float = 120.0):
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            state = await printer.status()
            seen.append(state.state)
            if state.state in states:
                return state, seen
            await asyncio.sleep(0.3)


async def test_upload_print_to_completion_and_cancel(octoprint):
    printer = OctoPrintPrinter(octoprint.url, octoprint.api_key, timeout=10)
    try:
        idle = await printer.status()
        assert idle.state == "IDLE" and idle.firmware == "OctoPrint"
        ref = await printer.upload("lumi-box.gcode", small_gcode())
        assert ref == "lumi-box.gcode"
        assert await printer.start(ref) == ref
        done, seen = await _until(printer, {"COMPLETE", "ERROR"})
        assert done.state == "COMPLETE" and done.job == ref and done.progress == 100, seen
        assert "PRINTING" in seen
        assert done.nozzle[0] > 25  # the virtual printer heated up for M109 S40

        await printer.start(ref)
        await _until(printer, {"PRINTING"})
        await printer.cancel()
        after, _ = await _until(printer, {"IDLE", "CANCELLED", "COMPLETE"})
        assert after.state in ("IDLE", "CANCELLED") and after.progress < 100
    finally:
        await printer.aclose()


async def test_wrong_key_missing_file_and_unreachable(octoprint):
    wrong = OctoPrintPrinter(octoprint.url, "WRONG", timeout=5)
    with pytest.raises(PrinterUnavailable, match="credentials"):
        await wrong.status()
    await wrong.aclose()
    good = OctoPrintPrinter(octoprint.url, octoprint.api_key, timeout=5)
    with pytest.raises(PrinterUnavailable, match="refused the request"):
        await good.start("no-such-file.gcode")
    await good.aclose()
    gone = OctoPrintPrinter(f"http://127.0.0.1:{free_port()}", "k", timeout=2)
    with pytest.raises(PrinterUnavailable, match="unreachable"):
        await gone.status()
    await gone.aclose()
