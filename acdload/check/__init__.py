"""Validate and render: the JSON Schema, the semantic rules and the sandboxed templates
turn a manifest model into payloads and located problems."""
