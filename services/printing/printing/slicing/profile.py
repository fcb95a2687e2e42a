"""The FDM printer profile every slicer is given (millimetres, degrees Celsius, mm/s)."""

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PrintProfile:
    name: str = "lumi-pla-0.4"
    nozzle_diameter: float = 0.4
    filament_diameter: float = 1.75
    filament_density: float = 1.24  # g/cm3 (PLA)
    layer_height: float = 0.2
    first_layer_height: float = 0.2
    extrusion_width: float = 0.45
    perimeters: int = 2
    top_layers: int = 3
    bottom_layers: int = 3
    infill_density: float = 0.2  # 0..1; 1 = solid
    infill_angle: float = 45.0
    skirt_loops: int = 1
    skirt_distance: float = 3.0
    nozzle_temperature: int = 210
    bed_temperature: int = 60
    bed_x: float = 220.0
    bed_y: float = 220.0
    max_z: float = 250.0
    perimeter_speed: float = 40.0
    infill_speed: float = 60.0
    first_layer_speed: float = 20.0
    travel_speed: float = 150.0
    retract_length: float = 0.8

    @property
    def key(self) -> str:
        """Stable id of these settings: a model sliced with the same key is not sliced again."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PrintProfile":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
