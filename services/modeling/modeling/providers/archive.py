"""Safe handling of a provider's result archive, entirely in memory.

Nothing is written to disk under an archive-supplied name: entries are reduced to a
sanitised base name, filtered by extension, and renamed (first OBJ -> model.obj, first MTL
-> material.mtl, first texture -> material.<ext>, with the OBJ's `mtllib` and the MTL's
texture references rewritten). Entry count, per-entry and total sizes and the compression
ratio are bounded, and sizes are counted while reading (headers can lie).
"""

from lumi_shared.archive import ArchiveError as BadArchive
from lumi_shared.archive import ArchiveLimits, base_name, is_zip, read_archive, rewrite_mtl_references

from .base import ProviderError

ALLOWED = (".obj", ".mtl", ".png", ".jpg", ".jpeg", ".glb")
TEXTURE = (".png", ".jpg", ".jpeg")
__all__ = ["ArchiveError", "ArchiveLimits", "extract_model_archive", "is_zip"]


class ArchiveError(ProviderError):
    pass


def extract_model_archive(data: bytes, limits: ArchiveLimits = ArchiveLimits()
                          ) -> dict[str, bytes]:
    try:
        raw = read_archive(data, limits, lambda name: name.lower().endswith(ALLOWED))
    except BadArchive as exc:
        raise ArchiveError(str(exc).replace("broken archive", "broken result archive")) from None
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

    def stored(args: str) -> str | None:
        options, _, last = args.rpartition(" ")
        whole = by_base.get(base_name(args).lower())
        new = whole or by_base.get(base_name(last).lower())
        if new is None:
            return None
        return f"{options} {new}" if options and not whole else new

    return rewrite_mtl_references(mtl, stored)
