"""Errors that the command line turns into exit codes (docs/cli.md)."""


class RuimtepuzzelError(Exception):
    exit_code = 1


class InputError(RuimtepuzzelError):
    """Bad instance input: names the file, key or column and the offending value (exit 1)."""

    exit_code = 1


class InfeasibleError(RuimtepuzzelError):
    """Hard constraints cannot hold together (exit 2); the message is the diagnosis."""

    exit_code = 2


class NoSolutionError(RuimtepuzzelError):
    """The time limit passed without any feasible allocation (exit 3)."""

    exit_code = 3
