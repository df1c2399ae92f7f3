#!/usr/bin/env bash
# The admins' backup: one command, safe from cron, whether the counter is open or not.
#
#   scripts/backup.sh --dest DIR [--store DIR] [--keep-daily 14] [--keep-weekly 8]
#                     [--copy-to DIR|HOST:DIR] [--recipient age1... --identity KEYFILE]
#                     [--hourbank PATH]
#
# Makes a timestamped backup in DEST (through the running counter's control socket when it is
# open), verifies it, keeps the newest backup of each of the last N days and of each of the
# last M weeks, optionally copies the new file to a second place (a mounted drive, or rsync to
# HOST:DIR), and prints one summary line. With --recipient (an admin's public key from
# `hourbank backup keygen`) the backup is encrypted; --identity (that admin's key file) lets
# the script verify it — keep the key file off the counter machine if you can, and verify
# there instead. On any failure it prints why and exits non-zero —
# and it never deletes an old backup unless the new one verified.
#
# cron (nightly at 02:30, as the user who owns the store):
#   30 2 * * *  /opt/hourbank/scripts/backup.sh --dest /srv/hourbank-backups --copy-to /mnt/usb/hourbank >>/var/log/hourbank-backup.log 2>&1
set -uo pipefail

DEST=""
STORE=""
KEEP_DAILY=14
KEEP_WEEKLY=8
COPY_TO=""
RECIPIENT=""
IDENTITY=""
HOURBANK=${HOURBANK:-hourbank}

die() { echo "hourbank backup FAILED: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dest) DEST=${2:-}; shift 2 ;;
    --store) STORE=${2:-}; shift 2 ;;
    --keep-daily) KEEP_DAILY=${2:-}; shift 2 ;;
    --keep-weekly) KEEP_WEEKLY=${2:-}; shift 2 ;;
    --copy-to) COPY_TO=${2:-}; shift 2 ;;
    --recipient) RECIPIENT=${2:-}; shift 2 ;;
    --identity) IDENTITY=${2:-}; shift 2 ;;
    --hourbank) HOURBANK=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$DEST" ] || { echo "give --dest DIR (see --help)" >&2; exit 2; }
[[ "$KEEP_DAILY" =~ ^[0-9]+$ && "$KEEP_WEEKLY" =~ ^[0-9]+$ ]] || { echo "--keep-daily and --keep-weekly take numbers" >&2; exit 2; }
[ "$KEEP_DAILY" -ge 1 ] || { echo "--keep-daily must be at least 1 (today's backup)" >&2; exit 2; }
command -v "$HOURBANK" >/dev/null 2>&1 || die "cannot run '$HOURBANK' (put hourbank on PATH or pass --hourbank PATH)"

store_args=()
[ -n "$STORE" ] && store_args=(--store "$STORE")

mkdir -p "$DEST" && chmod 700 "$DEST" || die "cannot create $DEST"

encrypt_args=()
[ -n "$RECIPIENT" ] && encrypt_args=(--recipient "$RECIPIENT")
verify_args=()
[ -n "$IDENTITY" ] && verify_args=(--identity "$IDENTITY")

# 1. The backup. Its JSON summary names the file.
summary=$("$HOURBANK" "${store_args[@]}" backup --out "$DEST" "${encrypt_args[@]}" --json 2>&1) || die "$summary"
file=$(printf '%s' "$summary" | sed -n 's/.*"path":"\([^"]*\)".*/\1/p')
events=$(printf '%s' "$summary" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
[ -n "$file" ] && [ -f "$file" ] || die "hourbank did not report the backup file: $summary"

# 2. Verify it before trusting it (and before deleting anything).
verified=ok
if [ -n "$RECIPIENT" ] && [ -z "$IDENTITY" ]; then
  # Nothing is deleted on the strength of an unverified file: rotation waits for --identity.
  verified="not verified here: encrypted and no --identity, so nothing was rotated"
  KEEP_DAILY=100000; KEEP_WEEKLY=0
else
  verified=$("$HOURBANK" "${store_args[@]}" backup verify "$file" "${verify_args[@]}" 2>&1) || die "the new backup does not verify: $verified (kept for inspection: $file)"
  verified=ok
fi

# 3. Optional second copy.
copied=""
if [ -n "$COPY_TO" ]; then
  if [[ "$COPY_TO" == *:* ]]; then
    rsync -a "$file" "$COPY_TO/" || die "copy to $COPY_TO failed (the local backup $file is good)"
  else
    mkdir -p "$COPY_TO" && cp -p "$file" "$COPY_TO/" && sync || die "copy to $COPY_TO failed (the local backup $file is good)"
  fi
  copied=", copied to $COPY_TO"
fi

# 4. Rotation: the newest backup of each of the last KEEP_DAILY days and KEEP_WEEKLY ISO weeks.
#    Names carry the time: hourbank-<counter>-YYYYmmdd-HHMMSS-<seq>[-n].hbk.
declare -A keep=() days=() weeks=()
mapfile -t all < <(find "$DEST" -maxdepth 1 \( -name 'hourbank-*.hbk' -o -name 'hourbank-*.hbk.age' \) -printf '%f\n' \
  | sed -n 's/^\(.*-\([0-9]\{8\}\)-\([0-9]\{6\}\)-[0-9]*\(-[0-9]*\)\{0,1\}\.hbk\(\.age\)\{0,1\}\)$/\2\3 \1/p' | sort -r)
for line in "${all[@]}"; do
  stamp=${line%% *}; name=${line#* }; day=${stamp:0:8}
  week=$(date -d "$day" +%G-%V 2>/dev/null) || continue
  if [ -z "${days[$day]:-}" ] && [ "${#days[@]}" -lt "$KEEP_DAILY" ]; then
    days[$day]=1; keep[$name]=1
  fi
  if [ -z "${weeks[$week]:-}" ] && [ "${#weeks[@]}" -lt "$KEEP_WEEKLY" ]; then
    weeks[$week]=1; keep[$name]=1
  fi
done
removed=0
for line in "${all[@]}"; do
  name=${line#* }
  if [ -z "${keep[$name]:-}" ]; then
    rm -f -- "$DEST/$name" && removed=$((removed + 1))
  fi
done
# Files a killed backup left under a temporary name, once they are surely not in progress.
find "$DEST" -maxdepth 1 -name '.hourbank-*.partial-*' -mmin +60 -delete 2>/dev/null
# Plaintext that a killed `backup verify --identity` of an older hourbank left beside an
# encrypted backup (this one decrypts into a file with no name, which dies with the process).
find "$DEST" -maxdepth 1 -name '.*.hbk.age.decrypted-*' -delete 2>/dev/null

echo "hourbank backup ok: $file ($events events, $(du -h "$file" | cut -f1), $verified), ${#keep[@]} kept, $removed removed$copied"
