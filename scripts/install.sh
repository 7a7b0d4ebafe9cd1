#!/usr/bin/env bash
# Installs mnistlab into the current Python (make and activate a venv first if you prefer).
#   bash scripts/install.sh          the package and what it needs to train, report and serve
#   bash scripts/install.sh --test   also everything the test suite uses: the test extras, and Debian's
#                                    chromium (browser tests) and postgresql (the shared-study sweep test)
set -euo pipefail
cd "$(dirname "$0")/.."

# PyTorch first, pinned: 2.13.0 is the CPU build these machines provide. A bare `torch` (or any
# package that asks for a newer one) would download several GB of CUDA packages instead.
python3 -m pip install -q torch==2.13.0

# A font with Hangul for pictures in Korean (`--lang ko`): matplotlib's DejaVu Sans has none.
if ! fc-list :lang=ko family 2>/dev/null | grep -q .; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-nanum >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  if ! command -v chromium >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium postgresql >/dev/null
  fi
  python3 -m pip install -q -e ".[test]"
else
  python3 -m pip install -q -e .
fi
