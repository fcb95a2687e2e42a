"""Bounded reading of untrusted ZIP archives, entirely in memory.

Nothing is ever written under an archive-supplied name: entries are reduced to a sanitised
base name and kept only when `keep(name)` says so. Entry count, per-entry and total
uncompressed sizes and the compression ratio are bounded, and sizes are counted while
reading (headers can lie). Used by modeling (provider results) and the gateway's model proxy.
"""

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# A material line naming a file: `map_Kd [options] file`, `bump file`, ...
MAP_LINE = re.compile(r"^(\s*(?:map_\w+|bump|disp|decal|norm|refl)\s+)(.*?)\s*$", re.IGNORECASE)


class ArchiveError(Exception):
    """The archive is broken, encrypted or over a limit."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 64
    max_total: int = 300 * 1024 * 1024
    max_entry: int = 200 * 1024 * 1024
    max_ratio: int = 200


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def base_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE.sub("_", base).lstrip(".")


def rewrite_mtl_references(mtl: bytes, rewrite: Callable[[str], str | None]) -> bytes:
    """The MTL file with the file reference of each MAP_LINE (`[options] file`) replaced by
    `rewrite(reference)`: the same text leaves the line as it was, None drops the line."""
    out = []
    for line in mtl.decode("utf-8", errors="replace").splitlines():
        if match := MAP_LINE.match(line):
            head, reference = match.groups()
            new = rewrite(reference)
            if new is None:
                continue
            if new != reference:
                line = f"{head}{new}"
        out.append(line)
    return ("\n".join(out) + "\n").encode()


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
                limits: ArchiveLimits) -> bytes:
    if info.file_size > min(limits.max_entry, budget):
        raise ArchiveError("archive entry too large")
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        raise ArchiveError("archive entry compression ratio too high")
    out, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > min(limits.max_entry, budget):
                raise ArchiveError("archive entry larger than declared")
            out.append(chunk)
    return b"".join(out)


def read_archive(data: bytes, limits: ArchiveLimits, keep: Callable[[str], bool], *,
                 first: int | None = None) -> dict[str, bytes]:
    """The kept entries by sanitised base name (first occurrence wins), in archive order;
    `first` stops after that many."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_entries:
            raise ArchiveError("too many entries in archive")
        raw: dict[str, bytes] = {}
        budget = limits.max_total
        for info in infos:
            name = base_name(info.filename)
            if not name or not keep(name) or name in raw:
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError("encrypted archive entries are not supported")
            raw[name] = _read_entry(archive, info, budget, limits)
            budget -= len(raw[name])
            if first is not None and len(raw) >= first:
                break
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise ArchiveError(f"broken archive: {type(exc).__name__}") from None
    return raw
