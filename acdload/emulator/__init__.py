"""A jtel-compatible ACD events server: the target of acdload's end-to-end tests.

It is a model of the server, not of the client, and shares no code with it, so that an
end-to-end test is never the client agreeing with itself. Typical use in a test::

    with Emulator(EmulatorConfig(db=tmp_path / "events.sqlite3")) as emulator:
        requests.get(f"{emulator.base_url}/acd/events",
                     headers={"Authorization": f"Bearer {emulator.token}"})
"""

from acdload.emulator.app import Emulator, serve_forever
from acdload.emulator.config import EmulatorConfig, EmulatorConfigError, GroupsConfig, load_groups

__all__ = [
    "Emulator",
    "EmulatorConfig",
    "EmulatorConfigError",
    "GroupsConfig",
    "load_groups",
    "serve_forever",
]
