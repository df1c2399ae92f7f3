#!/usr/bin/env bash
# Benchmarks with baselines measured in the same run (see README "Benchmarks").
#   scripts/bench.sh [--volunteers 100000] [--entries 1000000] [--no-ledger]
# Needs python3 (for the SQLite comparisons), GNU time (/usr/bin/time) for peak memory, and
# fzf for the search comparison (apt install fzf; skipped with a note if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
VOLUNTEERS=100000
ENTRIES=1000000
LEDGER=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-ledger) LEDGER=0; shift ;;
    --volunteers) VOLUNTEERS=$2; shift 2 ;;
    --entries) ENTRIES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
cargo build --release --quiet --bins
BIN=target/release/hourbank

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(df -h "$WORK" | awk 'NR==2{print $1}')"

if [ "$LEDGER" = 1 ]; then
  echo "== ledger benchmarks (cargo bench --bench ledger)"
  cargo bench --quiet --bench ledger -- --volunteers "$VOLUNTEERS" --entries "$ENTRIES" --dir "$WORK/bench"
  echo "== a durable single insert in SQLite (WAL, synchronous=FULL), the baseline of the durable deposit"
  python3 - "$WORK/durable.sqlite" "$VOLUNTEERS" <<'PY'
# An entry row and its volunteer's balance in one transaction, committed one at a time.
import random, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
vols = int(sys.argv[2])
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.executescript("""
CREATE TABLE entries(seq INTEGER PRIMARY KEY, card_no INTEGER, kind TEXT, minutes INTEGER, memo BLOB);
CREATE INDEX entries_card ON entries(card_no, seq);
CREATE TABLE balances(card_no INTEGER PRIMARY KEY, minutes INTEGER);
""")
db.execute("BEGIN"); db.executemany("INSERT INTO balances VALUES (?, 0)", ((i,) for i in range(vols))); db.execute("COMMIT")
rng, memo, times = random.Random(1), bytes(70), []
for seq in range(2000):
    who = rng.randrange(vols)
    t = time.perf_counter()
    db.execute("BEGIN")
    db.execute("INSERT INTO entries VALUES (?, ?, 'deposit', 60, ?)", (seq, who, memo))
    db.execute("UPDATE balances SET minutes = minutes + 60 WHERE card_no = ?", (who,))
    db.execute("COMMIT")
    times.append(time.perf_counter() - t)
times.sort()
print(f"SQLite durable insert (entry + balance, WAL, synchronous=FULL): median {times[1000]*1e6:.0f} µs, p99 {times[1980]*1e6:.0f} µs")
PY
fi

echo "== peak memory of the real binary (GNU time)"
DATA="$WORK/data"
target/release/hourbank-gen-dataset "$DATA" --volunteers "$VOLUNTEERS" --entries "$ENTRIES" >/dev/null
STORE="$WORK/store"
echo 1234 | $BIN --store "$STORE" init --counter BENCH --admin A01 --admin-name admin >/dev/null
$BIN --store "$STORE" import volunteers "$DATA/volunteers.csv" >/dev/null
timed() { /usr/bin/time -f "%e s, peak RSS %M KB" "$@" 2>&1 >/dev/null | tail -1; }
echo "import entries (whole command): $(timed $BIN --store "$STORE" import entries "$DATA/entries.csv")"
echo "check (whole command): $(timed $BIN --store "$STORE" check)"
start=$(date +%s%N); $BIN --store "$STORE" export balances >/dev/null; end=$(date +%s%N)
echo "export balances, whole command incl. opening the store: $(( (end - start) / 1000000 )) ms"

echo "== the counter (cargo bench --bench counter): first frame, keystrokes, fzf, render, RSS"
cargo bench --quiet --bench counter -- --store "$STORE"

echo "== search index alone (cargo bench --bench search)"
cargo bench --quiet --bench search -- --volunteers "$VOLUNTEERS"

echo "== every balance equals one computed independently from the CSV"
$BIN --store "$STORE" export balances > "$WORK/balances.csv"
python3 - "$DATA/entries.csv" "$WORK/balances.csv" <<'PY'
import csv, sys
expected = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for row in csv.DictReader(f):
        m = int(row["minutes"]) * (1 if row["kind"] == "deposit" else -1)
        expected[row["card_no"]] = expected.get(row["card_no"], 0) + m
bad = 0
with open(sys.argv[2], encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if int(row["balance_minutes"]) != expected.get(row["card_no"], 0):
            bad += 1
print(f"{len(expected)} volunteers with entries; {bad} balances differ")
sys.exit(1 if bad else 0)
PY

echo "== the same data in SQLite (python3 sqlite3): import, size, every balance, one balance"
cat > "$WORK/sqlite_import.py" <<'PY'
import csv, os, sqlite3, sys
data, path = sys.argv[1], sys.argv[2]
db = sqlite3.connect(path)
db.executescript("""
CREATE TABLE volunteers(card_no TEXT PRIMARY KEY, name TEXT, phone TEXT, community TEXT, registered_at TEXT);
CREATE TABLE entries(id TEXT PRIMARY KEY, ts TEXT, card_no TEXT REFERENCES volunteers, kind TEXT, minutes INTEGER, memo TEXT);
CREATE INDEX entries_card ON entries(card_no, ts);
""")
with open(os.path.join(data, "volunteers.csv"), encoding="utf-8") as f:
    r = csv.reader(f); next(r); db.executemany("INSERT INTO volunteers VALUES (?,?,?,?,?)", r)
with open(os.path.join(data, "entries.csv"), encoding="utf-8") as f:
    r = csv.reader(f); next(r); db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?)", r)
db.commit(); db.close()
PY
echo "SQLite import (CSV parse, executemany, the card index): $(timed python3 "$WORK/sqlite_import.py" "$DATA" "$WORK/ledger.sqlite")"
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("VACUUM"); d.close()' "$WORK/ledger.sqlite"
echo "SQLite: $(du -m "$WORK/ledger.sqlite" | cut -f1) MB"
echo "SQLite every balance (GROUP BY card): $(timed python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(len(d.execute("SELECT card_no, SUM(CASE kind WHEN '"'"'deposit'"'"' THEN minutes ELSE -minutes END) FROM entries GROUP BY card_no").fetchall()))' "$WORK/ledger.sqlite")"
CARD=$(sed -n 2p "$DATA/volunteers.csv" | cut -d, -f1)
echo "one balance, whole process: hourbank balance $CARD: $(timed $BIN --store "$STORE" balance "$CARD")"
echo "one balance, whole process: python3 sqlite3, one query: $(timed python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(d.execute("SELECT SUM(CASE kind WHEN '"'"'deposit'"'"' THEN minutes ELSE -minutes END) FROM entries WHERE card_no=?", (sys.argv[2],)).fetchone())' "$WORK/ledger.sqlite" "$CARD")"
if command -v sqlite3 >/dev/null; then
  echo "one balance, whole process: sqlite3 CLI, one query: $(timed sqlite3 "$WORK/ledger.sqlite" "SELECT SUM(CASE kind WHEN 'deposit' THEN minutes ELSE -minutes END) FROM entries WHERE card_no='$CARD'")"
else
  echo "one balance, whole process: python3 alone (the interpreter's start): $(timed python3 -c 'pass')"
fi
echo "hourbank store: $(du -sm "$STORE" | cut -f1) MB"

echo "== backup and verify of the same store, beside cp -a and SQLite's online backup"
ms() { local s=$(date +%s%N); "$@" >/dev/null || exit 1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
sync
echo "hourbank backup: $(ms $BIN --store "$STORE" backup --out "$WORK/store.hbk") ms, $(du -m "$WORK/store.hbk" | cut -f1) MB"
echo "hourbank backup verify: $(ms $BIN backup verify --accept-foreign "$WORK/store.hbk") ms"
echo "cp -a of the store directory: $(ms cp -a "$STORE" "$WORK/store-copy") ms"
echo "sqlite3 .backup of the same data: $(ms python3 -c 'import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect(sys.argv[2]); s.backup(d); d.close()' "$WORK/ledger.sqlite" "$WORK/ledger-copy.sqlite") ms"
echo "hourbank restore: $(ms $BIN --store "$WORK/restored" restore --accept-foreign "$WORK/store.hbk") ms"

echo "== reports over the same store: monthly report and the full ledger as XLSX"
LAST_MONTH=$(tail -1 "$DATA/entries.csv" | cut -d, -f2 | cut -c1-7)
echo "baseline, export entries (one pass over the journal to CSV): $(timed $BIN --store "$STORE" export entries)"
echo "report monthly --month $LAST_MONTH (whole command): $(timed $BIN --store "$STORE" report monthly --month "$LAST_MONTH")"
echo "report daily (whole command): $(timed $BIN --store "$STORE" report daily --date "$LAST_MONTH-15")"
echo "report ledger --out ledger.xlsx: $(timed $BIN --store "$STORE" report ledger --out "$WORK/ledger.xlsx"), $(du -m "$WORK/ledger.xlsx" | cut -f1) MB"

echo "== sled alone on the same store's data (cargo bench --bench sled_floor): the floor under store size and one balance"
cargo bench --quiet --bench sled_floor -- --store "$STORE"
