#!/bin/bash
# Start JupyterLab for Kubeflow Notebooks: the image's CMD.
#
# docker-stacks' entrypoint (tini -> start.sh) runs this script after it has
# run the start-notebook.d / before-notebook.d hooks and switched to NB_USER,
# so the server is exec'ed directly: going through start.sh again would run
# the hooks twice and log a warning on every start.
#
# Before the server starts, and in this order:
# - JUPYTER_RUNTIME_DIR (connection files, server info) goes to local disk,
#   /tmp/jupyter-runtime by default, not the home volume: on network volumes
#   these small, locked, socket-like files are slow or fail, and stale ones
#   survive a pod restart;
# - an empty home (a fresh volume, `lost+found` aside) is seeded from the copy
#   of the image's home kept in NB_HOME_TEMPLATE; a home with anything in it
#   is never touched;
# - with NB_PREFIX=/notebook/<namespace>/<name>/ (what Kubeflow passes), the
#   Kubeflow Pipelines SDK context ~/.config/kfp/context.json names that
#   namespace, so kfp.Client() works in multi-user Kubeflow without arguments;
# - when the pod has Istio's environment (any ISTIO_* variable), it waits for
#   the sidecar to be ready (ISTIO_PROXY_READY_URL, default
#   http://localhost:15021/healthz/ready) for at most ISTIO_PROXY_WAIT_SECONDS
#   (default 60), then starts the server either way.
#
# The server: 0.0.0.0:8888, under NB_PREFIX, no token or password (Kubeflow's
# gateway authenticates every request), any origin, no browser;
# NOTEBOOK_DEFAULT_URL (e.g. /rstudio/) opens another app first. Extra server
# options come from NOTEBOOK_ARGS, split by shell rules (quotes respected,
# nothing expanded or executed), then from the script's own arguments.
set -euo pipefail

log() { echo "start-notebook-kubeflow: $*" >&2; }
die() { log "error: $*"; exit 2; }

NB_PREFIX="${NB_PREFIX:-/}"

# ---------------------------------------------------------------- arguments
# Read first: bad input stops the start before anything is written.
extra_args=()
if [[ -n "${NOTEBOOK_ARGS:-}" ]]; then
    # Shell-word splitting without a shell: python's shlex, one NUL-terminated word each.
    mapfile -d '' extra_args < <(python3 -c '
import shlex, sys
try:
    words = shlex.split(sys.argv[1])
except ValueError as error:
    sys.stderr.write(f"start-notebook-kubeflow: error: NOTEBOOK_ARGS cannot be split ({error}): close its quotes\n")
    sys.exit(2)
sys.stdout.write("".join(word + "\0" for word in words))
' "${NOTEBOOK_ARGS}")
    wait $! || exit 2
fi

# ---------------------------------------------------------------- runtime dir
export JUPYTER_RUNTIME_DIR="${JUPYTER_RUNTIME_DIR:-/tmp/jupyter-runtime}"
mkdir -p -m 700 "${JUPYTER_RUNTIME_DIR}" || die "cannot create JUPYTER_RUNTIME_DIR=${JUPYTER_RUNTIME_DIR}: set it to a writable local directory"

# ---------------------------------------------------------------- home
# Empty but for the lost+found that a freshly formatted volume holds.
home_is_empty() (
    shopt -s nullglob dotglob
    for entry in "$1"/*; do
        [[ "${entry##*/}" == lost+found ]] || return 1
    done
    return 0
)

template="${NB_HOME_TEMPLATE:-/opt/kubeflow/home-template}"
if [[ -d "${HOME}" && -d "${template}" ]] && home_is_empty "${HOME}"; then
    cp -a "${template}/." "${HOME}/" || die "cannot seed the empty home ${HOME} from ${template}: check that the volume is writable by uid $(id -u)"
    log "seeded the empty home ${HOME} from ${template}"
fi

# ---------------------------------------------------------------- KFP context
# Kubeflow's prefix is /notebook/<namespace>/<name>/; a namespace is a DNS label.
if [[ "${NB_PREFIX}" =~ ^/notebook/([a-z0-9]([-a-z0-9]*[a-z0-9])?)/[^/]+/?$ ]]; then
    namespace="${BASH_REMATCH[1]}"
    kfp_dir="${HOME}/.config/kfp"
    if mkdir -p "${kfp_dir}" && printf '{"namespace": "%s"}\n' "${namespace}" > "${kfp_dir}/context.json.tmp" \
        && mv -f "${kfp_dir}/context.json.tmp" "${kfp_dir}/context.json"; then
        log "Kubeflow Pipelines context: namespace ${namespace} (${kfp_dir}/context.json)"
    else
        log "warning: could not write ${kfp_dir}/context.json; kfp.Client() will need namespace=\"${namespace}\""
    fi
fi

# ---------------------------------------------------------------- Istio
# Probes one URL once; exit 0 when it answers 2xx.
probe() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=1) as answer:
        sys.exit(0 if 200 <= answer.status < 300 else 1)
except Exception:
    sys.exit(1)
PY
}

has_istio_env() {
    local name
    for name in $(compgen -e); do [[ "${name}" == ISTIO_* ]] && return 0; done
    return 1
}

if has_istio_env; then
    url="${ISTIO_PROXY_READY_URL:-http://localhost:15021/healthz/ready}"
    limit="${ISTIO_PROXY_WAIT_SECONDS:-60}"
    [[ "${limit}" =~ ^[0-9]+$ ]] || die "ISTIO_PROXY_WAIT_SECONDS=${limit} is not a whole number of seconds"
    log "waiting up to ${limit}s for the Istio sidecar (${url})"
    start=${SECONDS}
    until probe "${url}"; do
        if (( SECONDS - start >= limit )); then
            log "warning: the Istio sidecar is not ready after ${limit}s; starting the server anyway (outbound calls may fail until it is)"
            start=""
            break
        fi
        sleep 1
    done
    if [[ -n "${start}" ]]; then log "the Istio sidecar is ready (after $(( SECONDS - start ))s)"; fi
fi

# ---------------------------------------------------------------- server
default_url=()
if [[ -n "${NOTEBOOK_DEFAULT_URL:-}" ]]; then
    default_url=("--ServerApp.default_url=${NOTEBOOK_DEFAULT_URL}")
fi

exec jupyter lab \
    --ip=0.0.0.0 \
    --port=8888 \
    --no-browser \
    --ServerApp.base_url="${NB_PREFIX}" \
    --IdentityProvider.token='' \
    --PasswordIdentityProvider.hashed_password='' \
    --ServerApp.allow_origin='*' \
    --ServerApp.allow_remote_access=True \
    "${default_url[@]}" \
    "${extra_args[@]}" \
    "$@"
