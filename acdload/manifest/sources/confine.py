"""Where a manifest may read: inside its root, and regular files only.

Manifests come from pull requests: whoever writes one must not make acdload read the
CI checkout's ``.git/config``, ``/proc/self/environ`` or anything else outside the
repository, and then show it in a message or a rendered Subject. Every file a manifest
names is therefore resolved (symlinks followed) and must lie inside the **manifest root**:
the manifest's own directory, or the directory given as the root of the load
(``--root`` or ``root`` in ``acdload.toml``), typically the repository.

A path inside the root can still be a FIFO or a device, whose ``open`` or ``read`` would
block or never end: :func:`read_regular` opens without blocking and reads only what
``fstat`` says is a regular file.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_regular(path: Path) -> bytes:
    """The bytes of ``path``; an ``OSError`` whose ``strerror`` says why when it is not a
    regular file (checked on the open descriptor, so nothing can swap it in between)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        return handle.read()


@dataclass(frozen=True, slots=True)
class ManifestRoot:
    """The directory a manifest may read in, and how messages name it."""

    path: Path  # resolved: no symlinks, absolute
    label: str  # "m, the manifest's directory", or the root's absolute path

    @classmethod
    def given(cls, root: Path) -> ManifestRoot:
        """The root of the whole load (``--root``, or ``root`` in the config file)."""
        resolved = root.resolve()
        return cls(resolved, str(resolved))

    @classmethod
    def of_manifest(cls, manifest: Path, display: str) -> ManifestRoot:
        """A manifest's own directory, for a load that names no root."""
        return cls(manifest.parent.resolve(), f"{Path(display).parent}, the manifest's directory")

    def holds(self, path: Path) -> bool:
        """Whether ``path``, symlinks followed, is inside the root."""
        return path.resolve().is_relative_to(self.path)

    def why_outside(self, base: Path, named: str) -> str | None:
        """Why the file ``named`` (relative to the directory ``base``) may not be read, or
        None when it is inside the root."""
        if Path(named).is_absolute():
            return (
                f"is absolute: a manifest reads files only inside its root ({self.label}), "
                "named relative to the manifest"
            )
        joined = base / named
        if self.holds(joined):
            return None
        written = Path(os.path.normpath(base.resolve() / named))
        if written.is_relative_to(self.path):
            return f"is a symbolic link that leads outside the manifest root ({self.label})"
        return f"leads outside the manifest root ({self.label})"
