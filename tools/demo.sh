#!/usr/bin/env bash
# One command on a fresh machine: set up, then profile the built-in example on this host with the
# instrumented runner. Prints the run directory; open its index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
npx memray-cli profile --mode script --local --script test-cases/example-sequential-requests.py "$@"
