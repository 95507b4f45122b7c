"""Checks a JSON Schema cannot express: real phone numbers, real dates, duplicate keys."""
