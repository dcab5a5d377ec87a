"""The OCI image model: pure values (digests, descriptors, manifests, configs, platforms); no I/O."""
