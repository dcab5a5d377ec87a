"""The one root error of slimgo; every family carries the text a user reads: input, cause and fix."""

from __future__ import annotations

__all__ = [
    "CORRUPT",
    "BuildError",
    "ElfError",
    "ImageFormatError",
    "InputError",
    "InvalidReference",
    "LintError",
    "NotFound",
    "RegistryError",
    "RunError",
    "SlimgoError",
    "StaticLinkError",
    "StoreError",
    "UnusableBinary",
    "UsageError",
]


class SlimgoError(Exception):
    """An error a user can act on.

    ``subject`` names the input (a path, a reference, a flag), ``cause`` says what is wrong with it and
    ``fix`` says what to do. Only the CLI turns these into exit codes.
    """

    exit_code = 1

    def __init__(self, subject: str, cause: str, fix: str | None = None) -> None:
        super().__init__(f"{subject}: {cause}")
        self.subject = subject
        self.cause = cause
        self.fix = fix

    def diagnostics(self) -> str:
        text = f"{self.subject}: {self.cause}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class UsageError(SlimgoError):
    """A flag or argument that cannot be used as given (exit code 2)."""

    exit_code = 2


class InputError(UsageError):
    """An input that cannot be read at all: missing, not a regular file, not a directory (exit code 2)."""


class InvalidReference(UsageError):
    """An image reference or transport string that does not parse."""


class StoreError(SlimgoError):
    """Reading or writing an OCI layout, an archive or a registry failed."""


class NotFound(StoreError):
    """The store holds no image by that name: a tag a layout or archive lacks, a manifest a registry lacks."""


class ImageFormatError(StoreError):
    """Image content (manifest, index, config, layer) is malformed or fails its digest."""


class BuildError(SlimgoError):
    """`go build` or the image assembly failed."""


class StaticLinkError(BuildError):
    """The binary is not static, or the base image cannot run it."""


class ElfError(SlimgoError):
    """A file is not an ELF binary slimgo can read (unreadable input: exit code 2)."""

    exit_code = 2


class UnusableBinary(ElfError):
    """A readable binary slimgo cannot use: no Go build information, or a Go too old to record it (exit code 1:
    the input was read, and refused)."""

    exit_code = 1


class RunError(SlimgoError):
    """Running an image with runc failed before the container could start."""


class LintError(SlimgoError):
    """A file given to lint could not be read or parsed."""


class RegistryError(StoreError):
    """A registry refused, failed or answered something slimgo cannot use."""


CORRUPT = "the image is corrupt; rebuild or re-pull it"
