"""Triangle meshes: the relief builder, closedness checks and file formats (numpy only)."""

from .check import MeshCheck, check_mesh
from .relief import Mesh, height_field, relief_mesh

__all__ = ["Mesh", "MeshCheck", "check_mesh", "height_field", "relief_mesh"]
