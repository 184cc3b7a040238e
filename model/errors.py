"""Errors that the command line turns into exit codes (docs/cli.md), and how a value is echoed in one."""

ECHO_LIMIT = 80  # characters of a value (a key, a cell, a code) shown in an error message


def clipped(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value, limit: int = ECHO_LIMIT) -> str:
    """A value as an error message shows it: ``repr`` (strings quoted), cut to ``limit`` characters."""
    return clipped(repr(value), limit)


class RuimtepuzzelError(Exception):
    exit_code = 1


class InputError(RuimtepuzzelError):
    """Bad instance input: names the file, key or column and the offending value (exit 1)."""

    exit_code = 1


class WriteError(RuimtepuzzelError):
    """A result could not be written (a full disk, a file-size limit, a folder that cannot be made); the message
    names the path and says what was kept (exit 1)."""

    exit_code = 1


class InfeasibleError(RuimtepuzzelError):
    """Hard constraints cannot hold together (exit 2); the message is the diagnosis."""

    exit_code = 2


class NoSolutionError(RuimtepuzzelError):
    """The time limit passed without any feasible allocation (exit 3)."""

    exit_code = 3
