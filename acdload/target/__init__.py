"""The server side of a run: which target, with which token, and the HTTP client that
talks to it."""
