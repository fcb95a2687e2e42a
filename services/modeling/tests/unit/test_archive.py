"""Provider result archives are unpacked safely and renamed consistently."""

import io
import struct
import zipfile

import pytest

from modeling.providers.archive import ArchiveError, ArchiveLimits, extract_model_archive, is_zip

OBJ = b"mtllib mesh_0.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
MTL = b"newmtl m\nKd 1 1 1\nmap_Kd ../textures/tex 0.png\nmap_Bump normal.png\nmap_Ks gone.png\n"


def zip_of(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_entries_are_renamed_and_references_rewritten():
    data = zip_of({"result/mesh_0.obj": OBJ, "result/mesh_0.mtl": MTL,
                   "textures/tex 0.png": b"\x89PNG-texture", "result/normal.png": b"\x89PNG-n",
                   "readme.txt": b"ignored"})
    assert is_zip(data)
    files = extract_model_archive(data)
    assert set(files) == {"model.obj", "material.mtl", "material.png", "normal.png"}
    assert files["model.obj"].startswith(b"mtllib material.mtl\n")
    assert b"mesh_0.mtl" not in files["model.obj"]
    mtl = files["material.mtl"].decode()
    assert "map_Kd material.png" in mtl and "map_Bump normal.png" in mtl
    assert "gone.png" not in mtl  # a reference to a missing file is dropped
    assert files["material.png"] == b"\x89PNG-texture"


def test_path_traversal_names_never_leave_the_model_folder():
    data = zip_of({"../../etc/evil.obj": OBJ, "/abs/x.mtl": b"newmtl a\n",
                   "..\\..\\win.png": b"\x89PNG", ".hidden.png": b"\x89PNG"})
    files = extract_model_archive(data)
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in files)
    assert {"model.obj", "material.mtl", "material.png"} <= set(files)


def test_a_jpeg_texture_becomes_material_jpg():
    files = extract_model_archive(zip_of({"a.obj": OBJ, "a.mtl": b"map_Kd t.JPEG\n",
                                          "t.JPEG": b"\xff\xd8\xff"}))
    assert files["material.jpg"] == b"\xff\xd8\xff"
    assert b"map_Kd material.jpg" in files["material.mtl"]


def test_an_archive_without_an_obj_is_refused():
    with pytest.raises(ArchiveError, match="no OBJ"):
        extract_model_archive(zip_of({"a.mtl": MTL}))


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated", b"not a zip at all", b""])
def test_a_broken_archive_is_a_provider_error(data):
    with pytest.raises(ArchiveError):
        extract_model_archive(data)


def test_too_many_entries_are_refused():
    data = zip_of({f"f{i}.png": b"x" for i in range(10)} | {"a.obj": OBJ})
    with pytest.raises(ArchiveError, match="too many"):
        extract_model_archive(data, ArchiveLimits(max_entries=5))


def test_a_zip_bomb_is_refused_by_ratio_and_by_size():
    bomb = zip_of({"a.obj": OBJ + b" " * 5_000_000})
    with pytest.raises(ArchiveError, match="ratio"):
        extract_model_archive(bomb)
    big = zip_of({"a.obj": OBJ + b"v 1 2 3\n" * 2000}, compression=zipfile.ZIP_STORED)
    with pytest.raises(ArchiveError, match="too large"):
        extract_model_archive(big, ArchiveLimits(max_entry=1000))
    with pytest.raises(ArchiveError, match="too large"):
        extract_model_archive(big, ArchiveLimits(max_total=1000))


def test_a_lying_size_header_does_not_get_past_the_limits():
    data = bytearray(zip_of({"a.obj": OBJ * 2000}))
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # declared uncompressed size: 10 bytes
    struct.pack_into("<I", data, 22, 10)  # same in the local header
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].file_size == 10
    with pytest.raises(ArchiveError):
        extract_model_archive(bytes(data), ArchiveLimits(max_entry=1000))
