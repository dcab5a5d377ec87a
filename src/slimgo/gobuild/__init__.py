"""Everything that talks to the Go toolchain: listing packages, building binaries, finding cgo users."""
