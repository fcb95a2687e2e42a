"""Reading G-code: a walker over the moves (position, extrusion, feed rate, temperatures) and
the metadata clients see, computed from the file the slicer wrote - never invented.

The same walk drives the simulated printer, so its layers, progress and time remaining
follow the file.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

ACCEL = 1000.0  # mm/s^2, for the time estimate of each move (accelerate, cruise, decelerate)
_WORD = re.compile(r"([A-Z])\s*(-?\d*\.?\d+)")
_HMS = re.compile(r"(?:(\d+)d\s*)?(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:(\d+)s)?")


@dataclass
class Move:
    line: int
    x0: float
    y0: float
    x: float
    y: float
    z: float
    e: float          # filament pushed by this move (mm); negative = retraction
    seconds: float


@dataclass
class WalkState:
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    e: float = 0.0
    feed: float = 1500.0  # mm/min
    relative_e: bool = False
    relative_xyz: bool = False
    nozzle: float = 0.0
    bed: float = 0.0
    comments: dict[str, str] = field(default_factory=dict)


def move_seconds(distance: float, feed_mm_min: float) -> float:
    speed = max(feed_mm_min, 1.0) / 60.0
    if distance <= 0:
        return 0.0
    if distance > speed * speed / ACCEL:
        return distance / speed + speed / ACCEL
    return 2.0 * math.sqrt(distance / ACCEL)


def walk(lines: Iterable[str], state: WalkState | None = None) -> Iterator[Move]:
    """Yields every G0/G1 move; updates `state` (temperatures, modes, header comments)."""
    s = state or WalkState()
    for number, raw in enumerate(lines):
        code, _, comment = raw.partition(";")
        if comment and "=" in comment and not code.strip():
            key, _, value = comment.partition("=")
            s.comments[key.strip().lower()] = value.strip()
        code = code.strip().upper()
        if not code:
            continue
        head, _, rest = code.partition(" ")
        words = {k: float(v) for k, v in _WORD.findall(rest)}
        if head in ("G0", "G1"):
            if "F" in words:
                s.feed = words["F"]
            x0, y0, z0 = s.x, s.y, s.z
            if s.relative_xyz:
                s.x += words.get("X", 0.0)
                s.y += words.get("Y", 0.0)
                s.z += words.get("Z", 0.0)
            else:
                s.x, s.y, s.z = words.get("X", s.x), words.get("Y", s.y), words.get("Z", s.z)
            de = 0.0
            if "E" in words:
                de = words["E"] if s.relative_e else words["E"] - s.e
                s.e = s.e + de if s.relative_e else words["E"]
            dist = math.dist((x0, y0, z0), (s.x, s.y, s.z)) or abs(de)
            yield Move(number, x0, y0, s.x, s.y, s.z, de, move_seconds(dist, s.feed))
        elif head == "G92":
            s.e = words.get("E", s.e)
        elif head == "G28":
            s.x = s.y = s.z = 0.0
        elif head == "G90":
            s.relative_xyz = False
        elif head == "G91":
            s.relative_xyz = True
        elif head == "M82":
            s.relative_e = False
        elif head == "M83":
            s.relative_e = True
        elif head in ("M104", "M109") and "S" in words:
            s.nozzle = max(s.nozzle, words["S"])
        elif head in ("M140", "M190") and "S" in words:
            s.bed = max(s.bed, words["S"])


@dataclass
class LayerTime:
    z: float
    seconds: float      # cumulative time at the end of this layer
    filament: float     # cumulative filament at the end of this layer (mm)


def parse_hms(text: str) -> int | None:
    m = _HMS.fullmatch(text.strip())
    if not m or not any(m.groups()):
        return None
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def layer_times(lines: Iterable[str], state: WalkState | None = None) -> list[LayerTime]:
    """Cumulative time and filament per printed layer (a layer = a Z with extrusion)."""
    layers: list[LayerTime] = []
    total = filament = 0.0
    current_z: float | None = None
    for move in walk(lines, state):
        total += move.seconds
        filament += move.e  # net: a retraction and its refill cancel out
        if move.e > 0 and (move.x, move.y) != (move.x0, move.y0):
            if current_z is None or move.z > current_z + 1e-6:
                current_z = move.z
                layers.append(LayerTime(move.z, total, filament))
        if layers:
            layers[-1].seconds, layers[-1].filament = total, filament
    return layers


def metadata(text: str, *, filament_diameter: float = 1.75,
             density: float = 1.24) -> dict:
    """`gcodeMetadata` of a G-code file: layer height, time, filament (length, weight)."""
    state = WalkState()
    lines = text.splitlines()
    layers = layer_times(lines, state)
    if not layers:
        raise ValueError("the G-code extrudes nothing")
    zs = [round(lay.z, 4) for lay in layers]
    deltas = [round(b - a, 3) for a, b in zip(zs, zs[1:], strict=False)]
    layer_height = Counter(deltas).most_common(1)[0][0] if deltas else zs[0]
    filament_mm = layers[-1].filament
    area = math.pi * (filament_diameter / 2) ** 2
    walked = int(round(layers[-1].seconds))
    reported = None
    for key, value in state.comments.items():
        if key.startswith("estimated printing time"):
            reported = parse_hms(value)
            break
    generator = next((line[1:].strip() for line in lines[:5] if "generated by" in line.lower()),
                     None)
    print_time = reported or walked
    return {
        "layer_height": layer_height, "first_layer_height": zs[0], "layer_count": len(zs),
        "max_z": zs[-1], "print_time": print_time, "print_time_text": hms(print_time),
        "estimated_time_walked": walked,
        "filament_used": round(filament_mm, 1),
        "filament_used_m": round(filament_mm / 1000, 3),
        "filament_volume_cm3": round(filament_mm * area / 1000, 3),
        "filament_used_g": round(filament_mm * area / 1000 * density, 2),
        "filament_diameter": filament_diameter,
        "nozzle_temperature": state.nozzle or None, "bed_temperature": state.bed or None,
        "generator": generator,
    }


def hms(seconds: int) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m}m {s}s" if h else f"{m}m {s}s"
