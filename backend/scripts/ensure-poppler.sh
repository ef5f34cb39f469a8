#!/usr/bin/env bash
# The report tests check exported PDFs with poppler-utils (`pdftotext`, `pdftoppm`): install it when missing.
set -euo pipefail
if command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null; then
  exit 0
fi
echo "poppler-utils not installed: installing it (apt)"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q poppler-utils >/dev/null \
  || { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q poppler-utils >/dev/null; }
command -v pdftotext >/dev/null || { echo "pdftotext still missing: install poppler-utils" >&2; exit 1; }
