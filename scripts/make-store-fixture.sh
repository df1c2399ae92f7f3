#!/usr/bin/env bash
# Makes tests/fixtures/before-reshape.tar.gz: a counter store made by the version before the
# store's reshaping (issue 26; commit 26fe6ae), holding every kind of entry a counter writes —
# registrations and edits, single and batch deposits, one shaped by the rules, redemptions,
# a transfer, a donation and a pool grant, an adjustment, reversals, civic points credited and
# redeemed — with what that version printed of it beside the store: `balances.csv`,
# `points.csv`, `entries.csv` (every entry) and `history.json` (one volunteer's page).
# `tests/store_fixture.rs` opens it with today's code and expects the same. Run once, by hand;
# the fixture is kept in the repository.
#   scripts/make-store-fixture.sh [OLD_HOURBANK_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
COMMIT=26fe6ae
OLD=${1:-}
if [ -z "$OLD" ]; then
  git worktree add -f /tmp/hb-store-fixture-src "$COMMIT" >/dev/null
  CARGO_TARGET_DIR=/tmp/hb-store-fixture-target cargo build --release --bin hourbank \
    --manifest-path /tmp/hb-store-fixture-src/Cargo.toml
  OLD=/tmp/hb-store-fixture-target/release/hourbank
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOURBANK_CONFIG="$WORK/none.toml" LC_ALL=C TZ=UTC
S="$WORK/store"
hb() { "$OLD" --store "$S" "$@" >/dev/null; }
# The command's own entry: the seq it prints (`saved #12: …`).
seq_of() { "$OLD" --store "$S" "$@" | grep -o '#[0-9]*' | head -1 | tr -d '#'; }

echo 1234 | hb init --counter "fixture counter" --admin A01 --admin-name 管理员 --code JH-FX-01
hb activity add 垃圾分类督导 --category 环保
hb activity add 敬老助老 --category 敬老
hb reward add --name 大米 --cost 2h --stock 50
hb reward add --name 超市券 --cost 5h --kind voucher --merchant 华润万家
hb volunteer add --card JH000001 --name 陈华佩 --phone 13812345678 --community 白沙街道 --id-number 44070319900101123X
hb volunteer add --card JH000002 --name 李敏 --phone 13900001111 --community 紫茶社区
for n in $(seq 3 40); do
  hb volunteer add --card "$(printf 'JH%06d' "$n")" --name "志愿者$n" --community 白沙街道
done
hb volunteer edit JH000002 --community 白沙街道 --phone 13900002222
for h in 1 2 3; do hb deposit --card JH000001 --activity 垃圾分类督导 --hours "$h"; done
hb deposit --card JH000002 --activity 敬老助老 --hours 6 --note 重阳节
cards=()
for n in $(seq 3 40); do cards+=(--card "$(printf 'JH%06d' "$n")"); done
hb deposit "${cards[@]}" --activity 垃圾分类督导 --minutes 90
hb rules set --rounding 30m --transfer-limit 20h
hb deposit --card JH000003 --activity 敬老助老 --minutes 100 --note 取整
hb redeem --card JH000001 --reward 大米
hb redeem --card JH000002 --reward 超市券
hb transfer --from JH000001 --to JH000004 --minutes 30 --note 互助
hb donate JH000005 --minutes 60 --note 爱心
hb pool grant JH000006 --minutes 45 --reason 困难帮扶
hb adjust --card JH000007 --credit --minutes 20 --reason 补录
wrong=$(seq_of deposit --card JH000008 --activity 垃圾分类督导 --hours 2 --note 录错)
hb reverse --seq "$wrong" --reason 重复录入
hb deposit --card JH000009 --activity 敬老助老 --hours 2
returned=$(seq_of redeem --card JH000009 --reward 大米)
hb reverse --seq "$returned" --reason 退回
hb resident add JH900001 --name 居民甲 --community 白沙街道 --phone-tail 1234
cat > "$WORK/standard.toml" <<'TOML'
effective = "2026-01-01"
[[item]]
code = "HJ-01"
category = "环境卫生"
name = "垃圾分类投放正确"
points = 2
TOML
hb standard publish "$WORK/standard.toml"
hb points credit JH900001 --item HJ-01 --times 10
hb points credit JH000010 --item HJ-01 --times 3
hb points price 大米 8
hb points redeem JH900001 --reward 大米

"$OLD" --store "$S" check >/dev/null
"$OLD" --store "$S" export balances --out "$WORK/balances.csv" >/dev/null
"$OLD" --store "$S" export points --out "$WORK/points.csv" >/dev/null
"$OLD" --store "$S" export entries --out "$WORK/entries.csv" >/dev/null
"$OLD" --store "$S" history JH000001 --json > "$WORK/history.json"
mkdir -p tests/fixtures
# The store, the files beside it (counter key, PIN pepper) and what the old version printed.
tar -C "$WORK" -czf tests/fixtures/before-reshape.tar.gz \
  $(cd "$WORK" && ls -d store store.* balances.csv points.csv entries.csv history.json)
ls -la tests/fixtures/before-reshape.tar.gz
