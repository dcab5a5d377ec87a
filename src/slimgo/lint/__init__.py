"""Linters for Dockerfiles, .dockerignore and build contexts, and Kubernetes manifests; they return findings."""
