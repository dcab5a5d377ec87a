"""Supply chain: SBOMs (SPDX, CycloneDX), cosign-compatible signatures, and OCI referrers that carry them."""
