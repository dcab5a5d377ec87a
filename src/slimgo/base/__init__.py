"""The embedded distroless-equivalent base: users, CA bundle, zoneinfo, built in-process with no network."""
