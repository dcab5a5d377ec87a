"""Known vulnerabilities of Go binaries and images, from the Go vulnerability database, down to the linked symbols."""
