"""Plan: match a load against the server's events (create, exists, drift), save a plan,
and prove a saved plan is still what was reviewed."""
