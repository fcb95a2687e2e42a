"""The relief mesh is a closed, outward-oriented solid, and its files are well-formed."""

import io
import struct

import numpy as np
import pytest
import trimesh
from PIL import Image

from modeling.artifacts import (
    build_relief,
    complete_from_obj,
    display_frame,
    relief_glb,
    relief_obj_files,
)
from modeling.mesh import check_mesh, height_field, relief_mesh
from modeling.mesh.formats import read_stl, write_obj, write_stl
from modeling.mesh.glb import BIN_CHUNK, JSON_CHUNK, read_accessor, read_glb, write_glb
from modeling.mesh.objparse import ObjError, parse_obj
from modeling.mesh.preview import texture_image
from modeling.providers.base import GeneratedModel


@pytest.fixture
def image(make_png):
    return Image.open(io.BytesIO(make_png((300, 200))))


def edge_use_counts(faces: np.ndarray) -> np.ndarray:
    """Independent check: how many faces use each undirected edge."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return counts


@pytest.mark.parametrize("shape", [(48, 48), (30, 64), (96, 20), (2, 2)])
def test_a_relief_of_any_grid_is_closed_oriented_and_has_positive_volume(shape):
    heights = np.random.default_rng(1).random(shape)
    mesh = relief_mesh(heights, size_mm=50, base_mm=2, relief_mm=5)
    assert np.all(edge_use_counts(mesh.faces) == 2)
    report = check_mesh(mesh.vertices, mesh.faces)
    assert report.closed and report.oriented and report.degenerate_faces == 0
    assert report.volume > 0
    ny, nx = shape
    ring = 2 * (nx - 1) + 2 * (ny - 1)
    assert mesh.vertex_count == nx * ny + ring + 1
    assert mesh.face_count == 2 * (nx - 1) * (ny - 1) + 3 * ring


def test_the_volume_of_a_flat_relief_is_its_slab():
    mesh = relief_mesh(np.zeros((10, 20)), size_mm=38, base_mm=3, relief_mm=8)
    width, depth = 38.0, 38.0 * 9 / 19
    assert check_mesh(mesh.vertices, mesh.faces).volume == pytest.approx(width * depth * 3)


def test_the_mesh_check_notices_holes_and_flipped_faces():
    mesh = relief_mesh(np.zeros((4, 4)))
    open_mesh = check_mesh(mesh.vertices, mesh.faces[1:])
    assert not open_mesh.closed and not open_mesh.printable
    flipped = mesh.faces.copy()
    flipped[0] = flipped[0][::-1]
    assert not check_mesh(mesh.vertices, flipped).oriented
    inside_out = check_mesh(mesh.vertices, mesh.faces[:, ::-1])
    assert inside_out.oriented and inside_out.volume < 0 and not inside_out.printable


def test_the_height_field_follows_the_subject_not_the_background(image):
    heights = height_field(image, 64)
    assert max(heights.shape) == 64 and heights.shape == (43, 64)
    assert heights.min() >= 0 and heights.max() <= 1
    assert heights[0, 0] < 0.05 and heights[21, 32] > 0.5  # corner is backdrop, centre subject


def test_a_uniform_image_gives_a_flat_printable_slab():
    heights, mesh = build_relief(Image.new("RGB", (64, 64), "white"), resolution=32,
                                 size_mm=40, base_mm=3, relief_mm=8)
    assert np.allclose(heights, 0)
    assert check_mesh(mesh.vertices, mesh.faces).printable


def test_obj_and_stl_load_in_trimesh_as_watertight_solids(image, tmp_path):
    _, mesh = build_relief(image, resolution=48, size_mm=80, base_mm=3, relief_mm=8)
    files = relief_obj_files(mesh, texture_image(image))
    files["model.stl"] = write_stl(mesh.vertices, mesh.faces)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    scale = 2.0 / np.ptp(mesh.vertices, axis=0).max()  # the OBJ is in display units
    for name, factor in (("model.obj", scale ** 3), ("model.stl", 1.0)):
        loaded = trimesh.load(tmp_path / name, force="mesh")
        assert loaded.is_watertight and loaded.is_winding_consistent
        assert loaded.volume == pytest.approx(
            check_mesh(mesh.vertices, mesh.faces).volume * factor, rel=1e-3)
        assert len(loaded.faces) == mesh.face_count


def test_binary_stl_has_header_count_and_fifty_bytes_per_triangle():
    mesh = relief_mesh(np.zeros((5, 5)))
    data = write_stl(mesh.vertices, mesh.faces)
    assert len(data) == 84 + 50 * mesh.face_count
    assert struct.unpack_from("<I", data, 80)[0] == mesh.face_count
    vertices, faces = read_stl(data)
    assert len(vertices) == mesh.vertex_count and check_mesh(vertices, faces).printable
    normal = np.frombuffer(data, "<f4", 3, 84)
    assert np.linalg.norm(normal) == pytest.approx(1.0)


def test_the_glb_has_a_valid_header_chunks_and_accessors(image):
    _, mesh = build_relief(image, resolution=32, size_mm=80, base_mm=3, relief_mm=8)
    texture = relief_obj_files(mesh, texture_image(image))["material.png"]
    data = relief_glb(mesh, texture)
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_len, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == JSON_CHUNK and json_len % 4 == 0
    bin_len, bin_type = struct.unpack_from("<II", data, 20 + json_len)
    assert bin_type == BIN_CHUNK and 28 + json_len + bin_len == len(data)

    doc, binary = read_glb(data)
    primitive = doc["meshes"][0]["primitives"][0]
    positions = read_accessor(doc, binary, primitive["attributes"]["POSITION"])
    normals = read_accessor(doc, binary, primitive["attributes"]["NORMAL"])
    uvs = read_accessor(doc, binary, primitive["attributes"]["TEXCOORD_0"])
    indices = read_accessor(doc, binary, primitive["indices"]).reshape(-1, 3)
    assert len(positions) == mesh.vertex_count and len(indices) == mesh.face_count
    assert np.allclose(positions, display_frame(mesh.vertices), atol=1e-6)
    assert np.isclose(np.ptp(positions, axis=0).max(), 2.0) and np.allclose(
        positions.max(axis=0) + positions.min(axis=0), 0, atol=1e-6)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-5)
    assert uvs.min() >= 0 and uvs.max() <= 1
    acc = doc["accessors"][primitive["attributes"]["POSITION"]]
    assert np.allclose(acc["min"], positions.min(axis=0)) and np.allclose(
        acc["max"], positions.max(axis=0))
    view = doc["bufferViews"][doc["images"][0]["bufferView"]]
    start = view["byteOffset"]
    assert binary[start:start + view["byteLength"]] == texture
    assert all(v["byteOffset"] % 4 == 0 for v in doc["bufferViews"])
    assert check_mesh(positions, indices).printable


def test_a_glb_without_texture_uses_a_base_colour_and_32_bit_indices_when_needed():
    positions = np.random.default_rng(0).random((70000, 3))
    faces = np.array([[0, 1, 69999]])
    doc, _ = read_glb(write_glb(positions, faces))
    assert doc["accessors"][doc["meshes"][0]["primitives"][0]["indices"]]["componentType"] \
        == 5125
    assert "baseColorFactor" in doc["materials"][0]["pbrMetallicRoughness"]
    assert "images" not in doc


def test_a_malformed_glb_is_rejected():
    with pytest.raises(ValueError):
        read_glb(b"glTF" + b"\x00" * 30)


def test_the_obj_reader_fans_polygons_and_resolves_negative_indices():
    text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n" \
           b"f -4/-4 -3/-3 -2/-2 -1/-1\n"
    parsed = parse_obj(text)
    assert parsed.faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    positions, faces, uvs = parsed.welded()
    assert len(positions) == 4 and uvs is not None and faces.shape == (2, 3)


@pytest.mark.parametrize("text", [b"", b"v 0 0 0\nf 1 2 3\n", b"v a b c\n", b"f 1 2\n",
                                  b"v 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n",
                                  b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 1\nf 1/1 2/1 3/1\n"])
def test_the_obj_reader_rejects_broken_files(text):
    with pytest.raises(ObjError):
        parse_obj(text)


def test_a_provider_obj_is_completed_with_counts_stl_and_glb():
    mesh = relief_mesh(np.random.default_rng(2).random((6, 6)))
    yup = mesh.vertices[:, [0, 2, 1]] * [1, 1, -1]  # as a Y-up provider would deliver it
    obj = write_obj(yup, mesh.faces, mesh.uvs, mtl_name=None)
    model = complete_from_obj(GeneratedModel(files={"model.obj": obj}), print_size_mm=80)
    assert model.face_count == mesh.face_count and model.vertex_count == mesh.vertex_count
    vertices, faces = read_stl(model.files["model.stl"])
    assert check_mesh(vertices, faces).printable
    assert vertices[:, 2].min() == pytest.approx(0, abs=1e-4)
    assert np.ptp(vertices, axis=0).max() == pytest.approx(80, rel=1e-4)
    doc, _ = read_glb(model.files["model.glb"])
    assert "TEXCOORD_0" in doc["meshes"][0]["primitives"][0]["attributes"]
