"""Which devices exist and how to talk to each: the simulated fleet, printers configured by
settings (OctoPrint, Moonraker, FY device service; address and key per printer), and bind codes.

A device is bound with its name and a bind code (what the printer's QR code carries). The
code of a simulated or configured device is an HMAC of its name with PRINTER_BIND_SECRET;
a developer prints it with `python -m printing.bindcode <deviceName>`.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from .base import PrinterAdapter
from .simulated import SimulatedPrinter


@dataclass(frozen=True)
class Device:
    name: str
    kind: str                 # simulated | octoprint | moonraker | fy
    model: str
    url: str | None = None
    api_key: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # fy: deviceId, gcodeBaseUrl


PRODUCTS = {
    "simulated": ("lumi-sim", "Lumi simulated FDM printer",
                  "Embedded printer that walks the G-code at a configurable speed-up"),
    "octoprint": ("octoprint", "OctoPrint printer", "Any printer behind an OctoPrint server"),
    "moonraker": ("moonraker", "Klipper printer (Moonraker)", "Klipper firmware via Moonraker"),
    "fy": ("fy-device", "FY device-service printer", "A printer behind the FY device service"),
}


def bind_code(secret: str, device_name: str) -> str:
    digest = hmac.new(secret.encode(), device_name.encode(), hashlib.sha256).hexdigest()
    return digest[:6].upper()


def parse_devices(settings: Any) -> dict[str, Device]:
    devices = {name: Device(name, "simulated", PRODUCTS["simulated"][1])
               for name in (n.strip() for n in settings.PRINTER_SIM_DEVICES.split(",")) if name}
    for item in json.loads(settings.PRINTER_DEVICES or "[]"):
        kind = item.get("kind", "octoprint")
        url = item.get("url") or (settings.DEVICE_SERVICE_URL if kind == "fy" else None)
        if kind not in ("octoprint", "moonraker", "fy") or not item.get("deviceName") or not url:
            raise ValueError(f"PRINTER_DEVICES entry needs deviceName, url and kind: {item!r}")
        key = item.get("apiKey") or (settings.DEVICE_SERVICE_TOKEN if kind == "fy" else None)
        options = tuple((k, str(item[k])) for k in ("deviceId", "gcodeBaseUrl") if item.get(k))
        devices[item["deviceName"]] = Device(item["deviceName"], kind,
                                             item.get("model") or PRODUCTS[kind][1],
                                             url, key, options)
    return devices


class DeviceRegistry:
    def __init__(self, settings: Any, *, http_client: Any = None) -> None:
        self.settings = settings
        self.devices = parse_devices(settings)
        self.http_client = http_client
        self.simulated: dict[str, SimulatedPrinter] = {
            d.name: SimulatedPrinter(d.name, speedup=settings.PRINTER_SIM_SPEEDUP,
                                     heat_seconds=settings.PRINTER_SIM_HEAT_SECONDS)
            for d in self.devices.values() if d.kind == "simulated"}
        self._adapters: dict[str, PrinterAdapter] = {}

    def get(self, name: str) -> Device | None:
        return self.devices.get(name)

    def check_code(self, name: str, code: str) -> bool:
        expected = bind_code(self.settings.PRINTER_BIND_SECRET, name)
        return hmac.compare_digest(expected, code.strip().upper())

    def adapter(self, device: Device) -> PrinterAdapter:
        if device.kind == "simulated":
            return self.simulated[device.name]
        if device.name not in self._adapters:
            timeout = self.settings.PRINTER_REQUEST_TIMEOUT
            if device.kind == "octoprint":
                from .octoprint import OctoPrintPrinter
                self._adapters[device.name] = OctoPrintPrinter(device.url, device.api_key or "",
                                                               timeout=timeout)
            elif device.kind == "fy":
                from .fy import FyPrinter
                options = dict(device.options)
                self._adapters[device.name] = FyPrinter(
                    device.url, device.name, token=device.api_key or "", timeout=timeout,
                    device_id=options.get("deviceId"), gcode_base_url=options.get("gcodeBaseUrl"))
            else:
                from .moonraker import MoonrakerPrinter
                self._adapters[device.name] = MoonrakerPrinter(device.url, api_key=device.api_key,
                                                               timeout=timeout)
        return self._adapters[device.name]

    def products(self) -> list[dict[str, Any]]:
        kinds = sorted({d.kind for d in self.devices.values()} | {"simulated"})
        return [{"id": PRODUCTS[k][0], "productId": PRODUCTS[k][0], "name": PRODUCTS[k][1],
                 "productName": PRODUCTS[k][1], "model": PRODUCTS[k][1],
                 "description": PRODUCTS[k][2], "image": None, "isActive": True,
                 "createdAt": None, "createdBy": None, "updatedAt": None, "updatedBy": None,
                 "deletedAt": None, "deletedBy": None} for k in kinds if k in PRODUCTS]

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            close = getattr(adapter, "aclose", None)
            if close:
                await close()
