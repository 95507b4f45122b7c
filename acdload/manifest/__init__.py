"""Manifests: reading them, and writing a first one from a CRM export (``acdload init``)."""
