"""Safe handling of a provider's result archive, entirely in memory.

Nothing is written to disk under an archive-supplied name: entries are reduced to a
sanitised base name, filtered by extension, and renamed (first OBJ -> model.obj, first MTL
-> material.mtl, first texture -> material.<ext>, with the OBJ's `mtllib` and the MTL's
texture references rewritten). Entry count, per-entry and total sizes and the compression
ratio are bounded, and sizes are counted while reading (headers can lie).
"""

import io
import re
import zipfile
from dataclasses import dataclass

from .base import ProviderError

ALLOWED = (".obj", ".mtl", ".png", ".jpg", ".jpeg", ".glb")
TEXTURE = (".png", ".jpg", ".jpeg")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAP_LINE = re.compile(r"^(\s*(?:map_\w+|bump|disp|decal|norm|refl)\s+)(.*?)\s*$",
                       re.IGNORECASE)


class ArchiveError(ProviderError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 64
    max_total: int = 300 * 1024 * 1024
    max_entry: int = 200 * 1024 * 1024
    max_ratio: int = 200


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _base_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE.sub("_", base).lstrip(".")


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


def extract_model_archive(data: bytes, limits: ArchiveLimits = ArchiveLimits()
                          ) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_entries:
            raise ArchiveError("too many entries in archive")
        raw: dict[str, bytes] = {}
        budget = limits.max_total
        for info in infos:
            name = _base_name(info.filename)
            if not name or not name.lower().endswith(ALLOWED) or name in raw:
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError("encrypted archive entries are not supported")
            raw[name] = _read_entry(archive, info, budget, limits)
            budget -= len(raw[name])
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise ArchiveError(f"broken result archive: {type(exc).__name__}") from None
    return rename_model_files(raw)


def rename_model_files(raw: dict[str, bytes]) -> dict[str, bytes]:
    def first(exts: tuple[str, ...]) -> str | None:
        return next((n for n in raw if n.lower().endswith(exts)), None)

    obj, mtl, texture = first((".obj",)), first((".mtl",)), first(TEXTURE)
    if obj is None:
        raise ArchiveError("result archive contains no OBJ model")
    renames = {obj: "model.obj"}
    if mtl:
        renames[mtl] = "material.mtl"
    if texture:
        ext = texture.rsplit(".", 1)[-1].lower()
        renames[texture] = f"material.{'jpg' if ext == 'jpeg' else ext}"
    files: dict[str, bytes] = {}
    final: dict[str, str] = {}
    for name, content in raw.items():
        target = renames.get(name, name)
        if target in files or (name not in renames and target in renames.values()):
            continue
        files[target] = content
        final[name] = target
    files["model.obj"] = _rewrite_obj(files["model.obj"], "material.mtl" if mtl else None)
    if mtl:
        files["material.mtl"] = _rewrite_mtl(files["material.mtl"], final)
    return files


def _rewrite_obj(obj: bytes, mtl_name: str | None) -> bytes:
    lines = obj.decode("utf-8", errors="replace").splitlines()
    out = [ln for ln in lines if not ln.lstrip().lower().startswith("mtllib")]
    if mtl_name:
        out.insert(0, f"mtllib {mtl_name}")
    return ("\n".join(out) + "\n").encode()


def _rewrite_mtl(mtl: bytes, final: dict[str, str]) -> bytes:
    """Point texture references at the stored names; drop references to absent files."""
    by_base = {old.lower(): new for old, new in final.items()}
    out = []
    for line in mtl.decode("utf-8", errors="replace").splitlines():
        match = _MAP_LINE.match(line)
        if match:
            head, args = match.groups()
            options, _, last = args.rpartition(" ")
            whole = by_base.get(_base_name(args).lower())
            new = whole or by_base.get(_base_name(last).lower())
            if new is None:
                continue
            prefix = f"{options} " if options and not whole else ""
            line = f"{head}{prefix}{new}"
        out.append(line)
    return ("\n".join(out) + "\n").encode()
