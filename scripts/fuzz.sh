#!/usr/bin/env bash
# More decoder robustness iterations than CI runs.  scripts/fuzz.sh [ITERATIONS] (default 10M)
set -euo pipefail
cd "$(dirname "$0")/.."
HOURBANK_FUZZ_ITERATIONS=${1:-10000000} cargo test --release --test bank_suite -- --nocapture decode_fuzz::
