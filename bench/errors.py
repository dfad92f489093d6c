"""The one error type for user mistakes (its message is the sentence the user sees), and reading the
files users hand us so that every failure becomes one of those sentences."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input, config or paths; the CLI prints it and exits 2."""


def read_user_bytes(path: Path | str, what: str = "file") -> bytes:
    """The bytes of a file the user named; a missing, folder or unreadable path is a UserError."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: {what} not found.") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a {what}.") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror}).") from None


def decode_user_text(raw: bytes, source: Path | str, what: str = "file", encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise UserError(f"{source}: {what} is not UTF-8 text.") from None


def read_user_text(path: Path | str, what: str = "file", encoding: str = "utf-8") -> str:
    return decode_user_text(read_user_bytes(path, what), path, what, encoding)
