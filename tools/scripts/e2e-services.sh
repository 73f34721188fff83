#!/usr/bin/env bash
# Services the end-to-end suite needs on a Debian 12 build machine: dockerd,
# a podman that can build, and a local CNCF registry with htpasswd auth.
#
#   tools/scripts/e2e-services.sh install   # apt packages + podman config, verified by a real build
#   tools/scripts/e2e-services.sh start     # dockerd + registry; writes $E2E_STATE_DIR/services.env
#   tools/scripts/e2e-services.sh status    # what runs (exit 0 when everything answers, 3 otherwise)
#   tools/scripts/e2e-services.sh stop      # stops only what `start` started
#
# Environment: E2E_STATE_DIR (default /tmp/kf-e2e), E2E_REGISTRY_PORT (default 5000),
# E2E_START_TIMEOUT seconds (default 60).
#
# Facts of the test machines this relies on: there is no systemd (dockerd is
# started here and waited for), podman must use runc (with crun every RUN step
# fails on rlimits), and no base image can be pulled from a public registry
# (tests build FROM images they make themselves).
set -euo pipefail

STATE_DIR="${E2E_STATE_DIR:-/tmp/kf-e2e}"
REGISTRY_PORT="${E2E_REGISTRY_PORT:-5000}"
START_TIMEOUT="${E2E_START_TIMEOUT:-60}"
REGISTRY_USER="kf-e2e"

REGISTRY_DIR="$STATE_DIR/registry"
REGISTRY_PID="$STATE_DIR/registry.pid"
# stdout of the registry is its access log (Apache combined format: method,
# path, status, body bytes); stderr is its application log (logrus text).
REGISTRY_ACCESS_LOG="$STATE_DIR/registry-access.log"
REGISTRY_APP_LOG="$STATE_DIR/registry.log"
DOCKERD_PID="$STATE_DIR/dockerd.pid"
DOCKERD_LOG="$STATE_DIR/dockerd.log"
SERVICES_ENV="$STATE_DIR/services.env"

# mmdebstrap: the start-script and production-checks suites share a small Debian root made from Debian's archive
# (cached under $E2E_STATE_DIR) to run the real start script and the images' checks with bash, python3 and R.
APT_PACKAGES=(docker.io runc podman busybox-static docker-registry apache2-utils curl ca-certificates mmdebstrap)
RUNC_DROPIN=/etc/containers/containers.conf.d/50-kf-e2e-runc.conf
STORAGE_CONF=/etc/containers/storage.conf
OUR_MARK="# written by tools/scripts/e2e-services.sh"

log() { echo "e2e-services: $*"; }
die() { echo "e2e-services: error: $*" >&2; exit 1; }

# The last lines of a log, folded into one line so that every message stays one line.
tail_one_line() { tail -n "${2:-5}" "$1" 2>/dev/null | tr '\n' ' ' | tr -s ' ' | sed 's/ $//' | cut -c1-800; }

pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- install

require_root() { [[ $(id -u) -eq 0 ]] || die "'$1' needs root (apt-get and /etc/containers): run it with sudo"; }

install_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "apt packages already installed: ${APT_PACKAGES[*]}"
    return
  fi
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed: check the machine's Debian package sources"
  # Recommends are kept: they are what podman was tested with here (netavark, slirp4netns, ...).
  # runc is listed explicitly so that apt satisfies podman's "crun | runc" with runc.
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# crun is podman's first choice when installed, and every RUN step fails on
# rlimits with it on these machines; a drop-in pins runc without removing crun.
configure_podman_runtime() {
  local want
  want="$OUR_MARK"$'\n[engine]\nruntime = "runc"\n'
  if [[ -f "$RUNC_DROPIN" && "$(cat "$RUNC_DROPIN")"$'\n' == "$want" ]]; then
    log "podman runtime: runc already pinned in $RUNC_DROPIN"
  else
    mkdir -p "$(dirname "$RUNC_DROPIN")"
    printf '%s' "$want" >"$RUNC_DROPIN"
    log "podman runtime: pinned runc in $RUNC_DROPIN"
  fi
  local runtime
  runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null) || die "podman info failed: run 'podman info' to see why"
  [[ "$runtime" == runc ]] || die "podman still uses runtime '$runtime' despite $RUNC_DROPIN: remove crun (apt-get remove crun)"
}

# Builds a tiny image FROM scratch with busybox-static and a RUN step, without
# cache, so that the runtime and the storage driver are both exercised.
# Arguments are podman global options (e.g. another storage driver and root).
probe_podman_build() {
  local ctx rc=0
  ctx=$(mktemp -d /tmp/kf-e2e-probe.XXXXXX)
  cp /bin/busybox "$ctx/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo ok > /probe"]\n' >"$ctx/Dockerfile"
  podman "$@" build --no-cache -q -t localhost/kf-e2e-probe:latest "$ctx" >"$ctx/build.log" 2>&1 || rc=$?
  if ((rc != 0)); then
    PROBE_ERROR=$(tail_one_line "$ctx/build.log" 3)
  else
    podman "$@" rmi -f localhost/kf-e2e-probe:latest >/dev/null 2>&1 || true
  fi
  rm -rf "$ctx"
  return "$rc"
}

# Native overlay works for root on ext4 here; vfs (slow, but works anywhere)
# is the fallback, in its own graphroot so that podman never meets storage
# that an overlay run created (it refuses to switch drivers in place).
configure_podman_storage() {
  local driver
  driver=$(podman info --format '{{.Store.GraphDriverName}}')
  PROBE_ERROR=""
  if probe_podman_build; then
    log "podman build OK (runtime runc, storage driver $driver)"
    return
  fi
  local first_error="$PROBE_ERROR"
  [[ "$driver" != vfs ]] || die "podman build failed with storage driver vfs: $first_error"
  if [[ -f "$STORAGE_CONF" ]] && ! grep -qF "$OUR_MARK" "$STORAGE_CONF"; then
    die "podman build failed with storage driver $driver ($first_error); $STORAGE_CONF is not ours, so set driver = \"vfs\" there yourself"
  fi
  local tmp
  tmp=$(mktemp -d /tmp/kf-e2e-vfs.XXXXXX)
  if ! probe_podman_build --storage-driver vfs --root "$tmp/root" --runroot "$tmp/run"; then
    rm -rf "$tmp"
    die "podman build fails with storage driver $driver ($first_error) and with vfs ($PROBE_ERROR)"
  fi
  rm -rf "$tmp"
  printf '%s\n[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage-vfs"\ngraphroot = "/var/lib/containers/storage-vfs"\n' "$OUR_MARK" >"$STORAGE_CONF"
  probe_podman_build || die "podman build still fails after switching to vfs in $STORAGE_CONF: $PROBE_ERROR"
  log "podman build OK after switching storage driver $driver -> vfs in $STORAGE_CONF"
}

cmd_install() {
  require_root install
  install_packages
  configure_podman_runtime
  configure_podman_storage
}

# ---------------------------------------------------------------- start

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Waits until "$@" succeeds; gives up after START_TIMEOUT, or at once when
# the process in pidfile $1 has died (a daemon that failed to start).
wait_for() {
  local pidfile="$1" deadline=$((SECONDS + START_TIMEOUT))
  shift
  until "$@"; do
    pid_alive "$pidfile" || { WAIT_REASON="exited during startup"; rm -f "$pidfile"; return 1; }
    if ((SECONDS >= deadline)); then
      # A failed start leaves nothing half-running behind.
      WAIT_REASON="no answer within ${START_TIMEOUT}s"
      terminate "$(cat "$pidfile")" || true
      rm -f "$pidfile"
      return 1
    fi
    sleep 0.5
  done
}

remove_stale_pidfile() {
  local pidfile=$1
  if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
    rm -f "$pidfile"
    log "removed stale $pidfile"
  fi
}

start_dockerd() {
  command -v dockerd >/dev/null || die "dockerd not found: run 'tools/scripts/e2e-services.sh install' first"
  if docker_answers; then
    if pid_alive "$DOCKERD_PID"; then log "dockerd already running (pid $(cat "$DOCKERD_PID"))"
    else log "dockerd already answers on its socket (not started by this script, left alone)"; fi
    return
  fi
  # A dockerd killed without shutting down (the end of a session, an OOM kill)
  # leaves its pid files behind, and a new dockerd refuses to start over them.
  remove_stale_pidfile /var/run/docker.pid
  remove_stale_pidfile /var/run/docker/containerd/containerd.pid
  # No systemd here: run it detached (setsid, all fds to files) so it
  # outlives this script and holds no terminal or pipe of the caller.
  setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$DOCKERD_PID"
  disown
  if ! wait_for "$DOCKERD_PID" docker_answers; then
    die "dockerd did not come up ($WAIT_REASON); log $DOCKERD_LOG ends: $(tail_one_line "$DOCKERD_LOG" 3)"
  fi
  log "dockerd started (pid $(cat "$DOCKERD_PID"), log $DOCKERD_LOG)"
}

registry_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$REGISTRY_PORT/v2/" 2>/dev/null || true; }
registry_answers_401() { [[ "$(registry_code)" == 401 ]]; }

# One password per state dir, so a restarted registry keeps the credentials
# that tests and engines already logged in with.
ensure_registry_credentials() {
  mkdir -p "$REGISTRY_DIR/data"
  chmod 700 "$REGISTRY_DIR"
  if [[ ! -s "$REGISTRY_DIR/password" || ! -s "$REGISTRY_DIR/htpasswd" ]]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$REGISTRY_DIR/password")
    # distribution's htpasswd auth accepts bcrypt only.
    htpasswd -Bbn "$REGISTRY_USER" "$(cat "$REGISTRY_DIR/password")" >"$REGISTRY_DIR/htpasswd" 2>/dev/null \
      || die "htpasswd failed: run 'tools/scripts/e2e-services.sh install' first (apache2-utils)"
  fi
}

write_registry_config() {
  # Access log on (stdout, combined format with response bytes) and level
  # info, so the bench can count blob bytes served from the access log, and
  # "response completed" lines with http.response.written appear in the app log.
  cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  secret: $(cat "$REGISTRY_DIR/password")-kf-e2e
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: kf-e2e
    path: $REGISTRY_DIR/htpasswd
EOF
  chmod 600 "$REGISTRY_DIR/config.yml"
}

start_registry() {
  command -v docker-registry >/dev/null || die "docker-registry not found: run 'tools/scripts/e2e-services.sh install' first"
  ensure_registry_credentials
  if pid_alive "$REGISTRY_PID" && registry_answers_401; then
    log "registry already running on 127.0.0.1:$REGISTRY_PORT (pid $(cat "$REGISTRY_PID"))"
    return
  fi
  local code
  code=$(registry_code)
  if [[ "$code" != 000 ]]; then
    die "port $REGISTRY_PORT already answers HTTP $code and is not a registry this script started: stop that service or set E2E_REGISTRY_PORT"
  fi
  write_registry_config
  setsid docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_ACCESS_LOG" 2>>"$REGISTRY_APP_LOG" </dev/null &
  echo $! >"$REGISTRY_PID"
  disown
  if ! wait_for "$REGISTRY_PID" registry_answers_401; then
    die "registry on 127.0.0.1:$REGISTRY_PORT did not come up ($WAIT_REASON); log $REGISTRY_APP_LOG ends: $(tail_one_line "$REGISTRY_APP_LOG" 3)"
  fi
  log "registry started on 127.0.0.1:$REGISTRY_PORT (pid $(cat "$REGISTRY_PID"), access log $REGISTRY_ACCESS_LOG)"
}

# Podman 4.3 speaks https to localhost:PORT unless told otherwise (docker
# treats 127.0.0.0/8 as insecure by default, podman does not), and engines
# driven by nx-container pass no --tls-verify flag: declare the registry
# insecure for podman, one drop-in per port so that parallel state dirs coexist.
configure_podman_insecure_registry() {
  local dropin="/etc/containers/registries.conf.d/50-kf-e2e-registry-$REGISTRY_PORT.conf" want
  want="$OUR_MARK"$'\n'"[[registry]]"$'\n'"location = \"localhost:$REGISTRY_PORT\""$'\n'"insecure = true"$'\n\n'"[[registry]]"$'\n'"location = \"127.0.0.1:$REGISTRY_PORT\""$'\n'"insecure = true"
  [[ -f "$dropin" && "$(cat "$dropin")" == "$want" ]] && return
  if ! { mkdir -p "$(dirname "$dropin")" && printf '%s\n' "$want" >"$dropin"; } 2>/dev/null; then
    log "warning: cannot write $dropin (not root?): podman needs --tls-verify=false for localhost:$REGISTRY_PORT"
    return
  fi
  log "podman: localhost:$REGISTRY_PORT declared insecure (plain http) in $dropin"
}

write_services_env() {
  (umask 077; cat >"$SERVICES_ENV" <<EOF
E2E_REGISTRY=localhost:$REGISTRY_PORT
E2E_REGISTRY_USER=$REGISTRY_USER
E2E_REGISTRY_PASSWORD=$(cat "$REGISTRY_DIR/password")
E2E_REGISTRY_LOG=$REGISTRY_ACCESS_LOG
E2E_REGISTRY_APP_LOG=$REGISTRY_APP_LOG
E2E_STATE_DIR=$STATE_DIR
EOF
  )
  log "services ready; settings in $SERVICES_ENV"
}

cmd_start() {
  mkdir -p "$STATE_DIR"
  command -v curl >/dev/null || die "curl not found: run 'tools/scripts/e2e-services.sh install' first"
  start_dockerd
  start_registry
  configure_podman_insecure_registry
  write_services_env
}

# ---------------------------------------------------------------- stop / status

# TERM first (dockerd stops its containerd and containers on TERM), KILL
# after 20 s so that nothing is left running. Returns 1 when KILL was needed.
terminate() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  return 1
}

stop_pidfile() {
  local name="$1" pidfile="$2" pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name: not running (nothing started by this script)"
    return
  fi
  pid=$(cat "$pidfile")
  if terminate "$pid"; then log "$name: stopped (pid $pid)"
  else log "$name: pid $pid did not stop on TERM within 20s, killed"; fi
  rm -f "$pidfile"
}

cmd_stop() {
  stop_pidfile registry "$REGISTRY_PID"
  stop_pidfile dockerd "$DOCKERD_PID"
  # Without services there are no settings: tests then say "run start" instead of failing to connect.
  rm -f "$SERVICES_ENV"
}

cmd_status() {
  local ok=0
  if docker_answers; then
    if pid_alive "$DOCKERD_PID"; then log "dockerd: running (pid $(cat "$DOCKERD_PID"), started by this script, log $DOCKERD_LOG)"
    else log "dockerd: running (not started by this script)"; fi
  else
    log "dockerd: not answering"; ok=3
  fi
  if pid_alive "$REGISTRY_PID" && registry_answers_401; then
    log "registry: running on localhost:$REGISTRY_PORT (pid $(cat "$REGISTRY_PID"), access log $REGISTRY_ACCESS_LOG)"
  else
    log "registry: not running on localhost:$REGISTRY_PORT (HTTP $(registry_code) from /v2/)"; ok=3
  fi
  if [[ -f "$SERVICES_ENV" ]]; then log "settings: $SERVICES_ENV"; else log "settings: none yet (run start)"; fi
  return "$ok"
}

usage() { echo "usage: $0 install|start|stop|status  (state dir: $STATE_DIR)" >&2; exit 2; }

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
