#!/usr/bin/env bash
# Installs the Debian packages slimgo's integration tests and benchmarks drive:
# runc, skopeo, umoci, buildah, the CNCF distribution registry, upx-ucl (bookworm-backports), GNU time
# (the peak memory of a short-lived program, for slimgo bench), chromium (headless, to check the HTML report)
# and busybox-static (a static shell for the local builder image the Dockerfile-generator test builds with buildah).
set -euo pipefail

need=(runc skopeo umoci buildah docker-registry upx-ucl apache2-utils time chromium busybox-static)
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
backports=/etc/apt/sources.list.d/slimgo-backports.sources
if ! grep -rqs "${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $SUDO tee "$backports" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# docker-registry's postinst starts a service on :5000 where an init system exists; tests run their own on a free port.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
