"""Apply: send the planned creates in order, exactly once, with a journal and a lock."""
