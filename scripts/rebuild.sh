#!/usr/bin/env bash
# The monthly job: refresh the catalogue, rebuild the site into a new release folder and
# switch the served site to it in one atomic step. Whatever fails, the site that was being
# served keeps being served.
#
#   scripts/rebuild.sh            (npm run rebuild)
#
# Settings (environment):
#   MARQUEE_SITE_DIR               where releases live; the server serves $MARQUEE_SITE_DIR/current
#                                  (default: <repo>/site)
#   MARQUEE_KEEP_RELEASES          finished releases to keep, the current one included (default 3)
#   MARQUEE_REFRESH_MIN_AGE_HOURS  skip the TMDB refresh when the catalogue is younger than this
#                                  (default 0: always refresh; the container's start-up run uses 24)
#   MARQUEE_CATALOG_DIR            the catalogue the refresh writes (default <repo>/data/catalog)
#
# Exit codes: 0 published; 1 build or publish failed (previous site still served);
#             3 refresh failed but a site was published from the last good catalogue;
#             75 another rebuild holds the lock (nothing done).
set -euo pipefail

app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
site_dir="${MARQUEE_SITE_DIR:-$app_dir/site}"
keep="${MARQUEE_KEEP_RELEASES:-3}"
min_age_hours="${MARQUEE_REFRESH_MIN_AGE_HOURS:-0}"
catalog_dir="${MARQUEE_CATALOG_DIR:-$app_dir/data/catalog}"
# Framework keeps loader outputs here and reruns a loader only when its source changes.
framework_cache="$app_dir/src/.observablehq/cache"
release_pattern='^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$'

log() {
  local line
  for line in "$@"; do printf '%(%Y-%m-%dT%H:%M:%S%z)T rebuild[%d] %s\n' -1 "$$" "$line" >&2; done
}

# Runs a command with each output line timestamped and returns the command's own status.
# Call it as a condition (`if run_logged`, `run_logged || ...`) so that errexit lets the
# status through. The command runs in a session of its own (setsid), in the background
# with `wait`, so a signal to this script is handled at once and stops the whole command
# tree (npm, Framework, the loaders), and without the lock's descriptor, so nothing left
# behind can keep holding the lock.
child=""
run_logged() {
  local line status=0
  setsid "$@" 9>&- > >(while IFS= read -r line; do log "  $line"; done) 2>&1 &
  child=$!
  wait "$child" || status=$?
  child=""
  return "$status"
}

partial=""
on_signal() {
  local name=$1 code=$2
  trap - TERM INT HUP
  log "received SIG$name; stopping the running step"
  if [[ -n "$child" ]]; then
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  [[ -n "$partial" ]] && rm -rf "$partial"
  log "STOPPED by SIG$name: the previous site is still served; exit $code"
  exit "$code"
}
trap 'on_signal TERM 143' TERM
trap 'on_signal INT 130' INT
trap 'on_signal HUP 129' HUP

die() {
  log "FAILED: $1" "the previous site is still served; exit 1"
  exit 1
}

[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "MARQUEE_KEEP_RELEASES must be a positive integer, got '$keep'"
[[ "$min_age_hours" =~ ^[0-9]+$ ]] || die "MARQUEE_REFRESH_MIN_AGE_HOURS must be a whole number, got '$min_age_hours'"

mkdir -p "$site_dir/releases"
site_dir="$(cd "$site_dir" && pwd)"

# Two overlapping runs would race on dist/ and the Framework cache: the second one leaves.
exec 9>"$site_dir/.rebuild.lock"
if ! flock -n 9; then
  log "another rebuild is already running (lock $site_dir/.rebuild.lock held); nothing to do"
  exit 75
fi

cd "$app_dir"
export NO_COLOR=1 OBSERVABLE_TELEMETRY_DISABLE=true
started=$SECONDS
log "rebuild started in $app_dir; releases in $site_dir/releases"

# 1. Refresh the catalogue. data:refresh writes atomically, so a failed refresh leaves the
#    last good catalogue in place and the build below uses it.
refresh="ok"
if [[ "$min_age_hours" -gt 0 && -f "$catalog_dir/meta.json" ]] \
  && [[ -z "$(find "$catalog_dir/meta.json" -mmin "+$((min_age_hours * 60))")" ]]; then
  refresh="skipped"
  log "catalogue is younger than ${min_age_hours}h; refresh skipped"
else
  log "refreshing the catalogue (npm run data:refresh)"
  status=0
  run_logged npm run --silent data:refresh || status=$?
  case "$status" in
    0) log "refresh done" ;;
    2) refresh="skipped"; log "no TMDB credentials; building with the catalogue already present (or the demo)" ;;
    *) refresh="failed"; log "REFRESH FAILED (exit $status); building with the last good catalogue" ;;
  esac
fi

# 2. Fresh data means fresh loader outputs. Downloaded and bundled modules (_npm, _jsr,
#    _node) are versioned, so they stay and keep the rebuild offline-capable.
if [[ -d "$framework_cache" ]]; then
  find "$framework_cache" -mindepth 1 -maxdepth 1 ! -name _npm ! -name _jsr ! -name _node -exec rm -rf {} +
  log "cleared Framework loader cache ($framework_cache)"
fi

# 3. Build straight into a new folder beside the other releases (observablehq.config.ts
#    takes its output folder from MARQUEE_SITE_OUTPUT). The served folder is never written.
#    npm's postbuild step (scripts/compress-site.ts) writes the .br/.gz siblings into the
#    same folder, so a release is published already compressed.
release_id="$(date -u +%Y%m%dT%H%M%SZ)"
suffix=0
while [[ -e "$site_dir/releases/$release_id" ]]; do
  suffix=$((suffix + 1))
  release_id="$(date -u +%Y%m%dT%H%M%SZ)-$suffix"
done
partial="$site_dir/releases/.$release_id.partial"
log "building the site into $partial (npm run build)"
# Step 1 already refreshed (or chose not to): MARQUEE_AUTO_REFRESH=0 keeps the build's loaders
# from trying a refresh that just failed a second time.
if ! MARQUEE_AUTO_REFRESH=0 MARQUEE_SITE_OUTPUT="$partial" run_logged npm run --silent build; then
  rm -rf "$partial"
  die "build failed"
fi
[[ -f "$partial/index.html" ]] || { rm -rf "$partial"; die "the build wrote no $partial/index.html"; }
printf '{"id":"%s","builtAt":"%s","refresh":"%s"}\n' \
  "$release_id" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$refresh" >"$partial/release.json"

# 4. Publish: name the finished folder, then swap the `current` symlink with a rename,
#    which a reader sees either before or after, never half-done.
mv -T "$partial" "$site_dir/releases/$release_id"
ln -sfn "releases/$release_id" "$site_dir/.current.$$"
mv -T "$site_dir/.current.$$" "$site_dir/current"
log "published release $release_id ($site_dir/current -> releases/$release_id)"

# 5. Prune: keep the newest $keep releases; leftovers of interrupted runs go too.
current_target="$(readlink "$site_dir/current")"
mapfile -t releases < <(find "$site_dir/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | grep -E "$release_pattern" | sort)
for ((i = 0; i < ${#releases[@]} - keep; i++)); do
  old="${releases[$i]}"
  [[ "releases/$old" == "$current_target" ]] && continue
  rm -rf "${site_dir:?}/releases/$old"
  log "removed old release $old"
done
find "$site_dir/releases" -mindepth 1 -maxdepth 1 -name '.*.partial' -exec rm -rf {} +
find "$site_dir" -mindepth 1 -maxdepth 1 -name '.current.*' ! -name ".current.$$" -exec rm -f {} +

elapsed=$((SECONDS - started))
if [[ "$refresh" == "failed" ]]; then
  log "FINISHED WITH ERRORS in ${elapsed}s: release $release_id is served, but the refresh failed; exit 3"
  exit 3
fi
log "finished in ${elapsed}s: release $release_id is served (refresh: $refresh)"
