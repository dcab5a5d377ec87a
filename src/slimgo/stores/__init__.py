"""Where images live: OCI layouts, archives and registries, each a source and a sink."""
