"""Read-only readers for ELF binaries and the Go metadata inside them (buildinfo, pclntab, linking, hardening)."""
