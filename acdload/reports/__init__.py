"""Reporters: each output format is a class in a registry, chosen by ``--format``."""
