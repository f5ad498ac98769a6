"""Lockfiles and manifests, one module per language family."""
