#!/usr/bin/env bash
# Makes tests/fixtures/pre-directory.tar.gz: two counter stores made by the version before the
# city's directory (commit c909c6a, issue 22), where counter B pulled counter A's events into its
# `city_*` trees through that version's city service. The upgrade test opens them with today's
# code. Run once, by hand; the fixture is kept in the repository.
#   scripts/make-upgrade-fixture.sh [OLD_HOURBANK_BINARY]   (needs PostgreSQL on the local socket)
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:-}
if [ -z "$OLD" ]; then
  git worktree add -f /tmp/hb-fixture-src c909c6a >/dev/null
  CARGO_TARGET_DIR=/tmp/hb-fixture-target cargo build --release --bin hourbank --manifest-path /tmp/hb-fixture-src/Cargo.toml
  OLD=/tmp/hb-fixture-target/release/hourbank
fi
WORK=$(mktemp -d)
trap 'kill $SERVICE 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB=hb_fixture_$$
psql -q -h /var/run/postgresql -U postgres -c "CREATE DATABASE $DB"
URL="host=/var/run/postgresql user=postgres dbname=$DB"
export HOURBANK_CONFIG="$WORK/none.toml"
$OLD city init --url "$URL" >/dev/null
CITY_KEY=$($OLD city keygen "$WORK/city.key" | sed -n 's/^city key: \(ed25519:[^ ]*\).*/\1/p' | head -1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$OLD city serve --listen 127.0.0.1:$PORT --db "$URL" --city-key "$CITY_KEY" 2>/dev/null &
SERVICE=$!
for store in A B; do
  echo 1234 | $OLD --store "$WORK/$store" init --counter "counter $store" --admin A01 --admin-name admin --code "JH-$store-01" >/dev/null
  $OLD --store "$WORK/$store" activity add 垃圾分类督导 >/dev/null
  KEY=$($OLD --store "$WORK/$store" code show | awk '{print $2}')
  $OLD city enroll "JH-$store-01" "$KEY" --db "$URL" --city-signing-key "$WORK/city.key" >/dev/null
done
$OLD --store "$WORK/A" volunteer add --card JH000001 --name 陈华佩 --phone 13812345678 --id-number 44070319900101123X >/dev/null
$OLD --store "$WORK/A" volunteer add --card JH000002 --name 李敏 --phone 13900001111 >/dev/null
for h in 1 2 3; do $OLD --store "$WORK/A" deposit --card JH000001 --activity 垃圾分类督导 --hours $h >/dev/null; done
$OLD --store "$WORK/A" deposit --card JH000002 --activity 垃圾分类督导 --hours 2 >/dev/null
sleep 1
$OLD --store "$WORK/A" sync --url "http://127.0.0.1:$PORT" >/dev/null
$OLD --store "$WORK/B" sync --url "http://127.0.0.1:$PORT"
kill $SERVICE
psql -q -h /var/run/postgresql -U postgres -c "DROP DATABASE $DB WITH (FORCE)"
mkdir -p tests/fixtures
# The stores and the files beside them (counter keys, PIN peppers).
tar -C "$WORK" -czf tests/fixtures/pre-directory.tar.gz $(cd "$WORK" && ls -d A A.* B B.*)
ls -la tests/fixtures/pre-directory.tar.gz
