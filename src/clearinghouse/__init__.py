"""Clearinghouse: an AI cybersecurity clearinghouse.

The package is organised by part of the field (see docs/architecture.md):
``versions`` and ``formats`` are the pure core; ``advisories`` and ``inventories`` own the
knowledge base and the exposure index; ``api``, ``web``, ``cli`` and ``worker`` are thin adapters.
"""

__version__ = "0.1.0"
