"""Packaging and deployment helpers for the Lumi backend (Dockerfiles, Kubernetes manifests)."""
