#!/usr/bin/env bash
# Long crash loop: the crash test with N kill rounds (default 500).  scripts/crash-loop.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
HOURBANK_CRASH_ROUNDS=${1:-500} cargo test --release --test bank_suite -- --nocapture crash::crash_rounds
