"""acdload: declare jtel ACD events in manifests, then validate, render, plan and apply them."""

__version__ = "0.1.0"
