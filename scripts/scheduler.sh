#!/usr/bin/env bash
# A minimal cron for the container: runs scripts/rebuild.sh on a monthly schedule, as the
# unprivileged user that owns the site. Debian's cron daemon has to start as root (it
# switches users per crontab), so the image runs this loop instead; on a host, use the
# `crontab` file at the repository root.
#
#   scripts/scheduler.sh                       run forever
#   scripts/scheduler.sh --next-after EPOCH    print the next run after EPOCH (for tests)
#
# MARQUEE_REBUILD_SCHEDULE is a crontab time spec restricted to fixed numbers for minute,
# hour and day of month, with `*` for month and weekday (default "0 4 1 * *", like the
# crontab file). Times are local to TZ.
set -euo pipefail

app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
schedule="${MARQUEE_REBUILD_SCHEDULE:-0 4 1 * *}"

log() { printf '%(%Y-%m-%dT%H:%M:%S%z)T scheduler[%d] %s\n' -1 "$$" "$*" >&2; }

read -r minute hour day month weekday extra <<<"$schedule"
if ! [[ "$minute" =~ ^[0-9]+$ && "$hour" =~ ^[0-9]+$ && "$day" =~ ^[0-9]+$ \
  && "$month" == "*" && "$weekday" == "*" && -z "${extra:-}" ]] \
  || ((10#$minute > 59 || 10#$hour > 23 || 10#$day < 1 || 10#$day > 28)); then
  echo "scheduler: MARQUEE_REBUILD_SCHEDULE must look like \"0 4 1 * *\" (minute hour day-of-month 1-28, then * *), got \"$schedule\"" >&2
  exit 2
fi
minute=$((10#$minute)) hour=$((10#$hour)) day=$((10#$day))

# The first scheduled moment strictly after epoch $1: this month's slot if it is still
# ahead, otherwise next month's.
next_after() {
  local now="$1" year mon candidate
  year=$(date -d "@$now" +%Y)
  mon=$((10#$(date -d "@$now" +%m)))
  candidate=$(date -d "$(printf '%04d-%02d-%02d %02d:%02d' "$year" "$mon" "$day" "$hour" "$minute")" +%s)
  if ((candidate <= now)); then
    if ((mon == 12)); then year=$((year + 1)) mon=1; else mon=$((mon + 1)); fi
    candidate=$(date -d "$(printf '%04d-%02d-%02d %02d:%02d' "$year" "$mon" "$day" "$hour" "$minute")" +%s)
  fi
  echo "$candidate"
}

if [[ "${1:-}" == "--next-after" ]]; then
  next_after "${2:?--next-after needs an epoch in seconds}"
  exit 0
fi

sleeper=""
trap 'log "stopping"; [[ -n "$sleeper" ]] && kill "$sleeper" 2>/dev/null; exit 0' TERM INT

log "rebuild schedule \"$schedule\""
while :; do
  next=$(next_after "$(date +%s)")
  log "next rebuild at $(date -d "@$next" '+%Y-%m-%d %H:%M %Z')"
  # Short naps re-read the clock, so a suspended host or a clock change cannot make us skip
  # a month; sleeping in the background lets the TERM trap run at once.
  while (($(date +%s) < next)); do
    nap=$((next - $(date +%s)))
    ((nap > 3600)) && nap=3600
    sleep "$nap" &
    sleeper=$!
    wait "$sleeper" || true
    sleeper=""
  done
  status=0
  "$app_dir/scripts/rebuild.sh" || status=$?
  log "rebuild exited with status $status"
done
