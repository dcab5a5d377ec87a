"""Report tests reuse the build tests' in-process CLI and fixture helpers."""

from tests.imagebuild.conftest import Result, Slimgo, copy_fixture, go, slimgo

__all__ = ["Result", "Slimgo", "copy_fixture", "go", "slimgo"]
