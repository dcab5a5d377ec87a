"""The real registries of the registry tests (htpasswd Basic, token server), shared with the hostile suite."""

from tests.stores.registry.conftest import basic_registry, registry, token_registry

__all__ = ["basic_registry", "registry", "token_registry"]
