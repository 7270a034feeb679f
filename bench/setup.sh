#!/bin/sh
# Install what the benchmark needs besides the venv: LibreOffice Impress (the
# comparison), the fonts the corpus references were made with, and poppler.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    libreoffice-impress \
    fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation fonts-dejavu \
    fonts-noto-cjk fonts-urw-base35 \
    poppler-utils
