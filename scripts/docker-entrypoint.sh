#!/usr/bin/env bash
# Container entry point: serve the site at once, keep it current in the background.
#
# 1. Serve $MARQUEE_SITE_DIR/current; on a first start that is the site built into the image
#    (the demo catalogue, or whatever data was present at image build).
# 2. If TMDB credentials were passed (or a catalogue already sits in the state volume),
#    run scripts/rebuild.sh once in the background; the running site is replaced only when
#    the new release is complete.
# 3. Run the monthly schedule (scripts/scheduler.sh).
# The server, the schedule and a running rebuild each get their own process group so that a
# stop signal ends them with all their children.
#
# Settings: PORT (3000), MARQUEE_STATE_DIR (/var/lib/marquee), MARQUEE_SITE_DIR
# ($MARQUEE_STATE_DIR/site), MARQUEE_IMAGE_SITE (<app>/dist-image), MARQUEE_REBUILD_ON_START
# (auto | 1 | 0).
set -euo pipefail

app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_dir="${MARQUEE_STATE_DIR:-/var/lib/marquee}"
export MARQUEE_SITE_DIR="${MARQUEE_SITE_DIR:-$state_dir/site}"
image_site="${MARQUEE_IMAGE_SITE:-$app_dir/dist-image}"
port="${PORT:-3000}"
rebuild_on_start="${MARQUEE_REBUILD_ON_START:-auto}"
catalog_dir="${MARQUEE_CATALOG_DIR:-$app_dir/data/catalog}"

log() { printf '%(%Y-%m-%dT%H:%M:%S%z)T entrypoint[%d] %s\n' -1 "$$" "$*" >&2; }

case "$rebuild_on_start" in
  auto | 0 | 1) ;;
  *) log "MARQUEE_REBUILD_ON_START must be auto, 0 or 1, got '$rebuild_on_start'"; exit 2 ;;
esac

cd "$app_dir"
mkdir -p "$MARQUEE_SITE_DIR/releases"

# A missing or dangling `current` (first start, or a wiped volume) falls back to the image's site.
if [[ ! -e "$MARQUEE_SITE_DIR/current" ]]; then
  [[ -f "$image_site/index.html" ]] || { log "no site to serve: $image_site/index.html is missing"; exit 1; }
  ln -sfn "$image_site" "$MARQUEE_SITE_DIR/.current.$$"
  mv -T "$MARQUEE_SITE_DIR/.current.$$" "$MARQUEE_SITE_DIR/current"
  log "serving the site built into the image ($image_site)"
else
  log "serving the last published release ($(readlink "$MARQUEE_SITE_DIR/current"))"
fi

server_pid="" scheduler_pid="" rebuild_pid=""
stop_requested=""

stop_all() {
  local pid
  for pid in "$rebuild_pid" "$scheduler_pid" "$server_pid"; do
    if [[ -n "$pid" ]]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
  done
}
trap 'log "stop requested"; stop_requested=1; stop_all' TERM INT

# setsid makes each job the leader of a new process group (its pid is the group id).
setsid node --import tsx scripts/serve.ts --dir "$MARQUEE_SITE_DIR/current" --port "$port" &
server_pid=$!
log "server started on port $port (pid $server_pid)"

setsid scripts/scheduler.sh &
scheduler_pid=$!

credentials=""
[[ -n "${TMDB_API_KEY:-}" || -n "${TMDB_READ_TOKEN:-}" ]] && credentials=1
if [[ "$rebuild_on_start" == "1" ]] \
  || [[ "$rebuild_on_start" == "auto" && (-n "$credentials" || -f "$catalog_dir/meta.json") ]]; then
  log "start-up rebuild in the background (credentials: ${credentials:+yes}${credentials:-no})"
  # A restart loop must not refetch TMDB every time: a catalogue younger than a day is reused.
  MARQUEE_REFRESH_MIN_AGE_HOURS="${MARQUEE_REFRESH_MIN_AGE_HOURS:-24}" setsid scripts/rebuild.sh &
  rebuild_pid=$!
elif [[ "$rebuild_on_start" == "0" ]]; then
  log "no start-up rebuild (MARQUEE_REBUILD_ON_START=0); the schedule keeps the site current"
else
  log "no TMDB credentials and no catalogue: no start-up rebuild; the schedule keeps the site current"
fi

# Wait for any job to end. The start-up rebuild ending is normal; the server or the
# schedule ending is not, and stops the container so that its restart policy applies.
exit_status=0
while :; do
  finished="" status=0
  wait -n -p finished || status=$?
  [[ -n "$stop_requested" ]] && break
  if [[ "$finished" == "$rebuild_pid" ]]; then
    log "start-up rebuild ended with status $status"
    rebuild_pid=""
  elif [[ "$finished" == "$server_pid" || "$finished" == "$scheduler_pid" ]]; then
    log "$([[ "$finished" == "$server_pid" ]] && echo server || echo scheduler) exited with status $status; stopping"
    exit_status=$((status == 0 ? 1 : status))
    stop_all
    break
  fi
done
wait || true
log "stopped"
exit "$exit_status"
