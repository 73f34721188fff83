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
#   survive a pod restart; XDG_RUNTIME_DIR (sockets and runtime files of other
#   programs: terminals, language servers) defaults to /tmp/runtime-<uid>;
# - the default home kept in NB_HOME_TEMPLATE reaches the home volume: every
#   file or folder of it that the home lacks is copied, at every start, so a
#   new image brings its new defaults to an existing volume; nothing that is
#   in the home already is overwritten;
# - with NB_PREFIX=/notebook/<namespace>/<name>/ (what Kubeflow passes), the
#   Kubeflow Pipelines SDK context ~/.config/kfp/context.json names that
#   namespace, so kfp.Client() works in multi-user Kubeflow without arguments;
#   it is written only when it is absent or still exactly what this script
#   wrote last (kept beside it), so the user's own edits stay;
# - where R is installed, the pod's environment that R sessions started
#   outside this process tree need (RStudio's rsession does not inherit it):
#   KUBERNETES_*, the proxy variables, KF_PIPELINES_* and NB_PREFIX go into a
#   block of $R_HOME/etc/Renviron.site that is rewritten at every start;
# - in a Kubernetes pod (KUBERNETES_SERVICE_HOST set, or a service-account
#   token mounted), one quick probe asks whether an Istio sidecar answers on
#   ISTIO_PROXY_READY_URL (default http://127.0.0.1:15021/healthz/ready);
#   injection puts Istio's variables on the istio-proxy container, not this
#   one, so its readiness endpoint is what shows it. When it answers but is
#   not ready (or an ISTIO_* variable is set here, e.g. by a PodDefault), it
#   waits for it at most ISTIO_PROXY_WAIT_SECONDS (default 60), then starts
#   the server either way. Nothing listening there and no ISTIO_* variable
#   (these two settings aside): no sidecar, no wait.
#
# The server: 0.0.0.0:8888, under NB_PREFIX, no token or password (Kubeflow's
# gateway authenticates every request), any origin, no browser, /metrics
# without authentication (Prometheus scrapes it without a token);
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
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p -m 700 "${XDG_RUNTIME_DIR}" || die "cannot create XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR}: set it to a writable local directory"

# ---------------------------------------------------------------- home
# What the home lacks of the template, copied with its modes and times;
# nothing in the home is replaced, not even a file where the template has a
# folder. Prints how many entries it copied; an entry it cannot copy (a
# read-only folder of the volume) is named in one warning and skipped, since
# this runs at every start and must not keep the server from starting.
copy_missing() {
    python3 - "$1" "$2" <<'PY'
import os, shutil, sys
template, home = sys.argv[1], sys.argv[2]
copied, failed = 0, []

def copy(source, destination, copier):
    global copied
    try:
        copier(source, destination)
        copied += 1
    except OSError as error:
        failed.append(f"{destination} ({error.strerror or error})")

for folder, dirs, files in os.walk(template):
    target = os.path.normpath(os.path.join(home, os.path.relpath(folder, template)))
    descend = []
    for name in dirs:
        source, destination = os.path.join(folder, name), os.path.join(target, name)
        if os.path.islink(source):
            files.append(name)
        elif not os.path.lexists(destination):
            copy(source, destination, lambda s, d: shutil.copytree(s, d, symlinks=True))
        elif os.path.isdir(destination) and not os.path.islink(destination):
            descend.append(name)
    dirs[:] = descend
    for name in files:
        source, destination = os.path.join(folder, name), os.path.join(target, name)
        if not os.path.lexists(destination):
            copy(source, destination, lambda s, d: shutil.copy2(s, d, follow_symlinks=False))
print(copied)
if failed:
    sys.stderr.write(f"start-notebook-kubeflow: warning: could not copy {len(failed)} default(s) from {template} into {home}, first {failed[0]}: check that the volume is writable by uid {os.getuid()}\n")
PY
}

template="${NB_HOME_TEMPLATE:-/opt/kubeflow/home-template}"
if [[ -d "${HOME}" && -d "${template}" ]]; then
    copied="$(copy_missing "${template}" "${HOME}")" || copied=0
    if (( copied > 0 )); then log "copied ${copied} default file(s) or folder(s) from ${template} that ${HOME} lacked (nothing in it was replaced)"; fi
fi

# ---------------------------------------------------------------- KFP context
# Kubeflow's prefix is /notebook/<namespace>/<name>/; a namespace is a DNS label.
# context.json.written holds what this script wrote last: a context.json that
# differs from it was edited by the user (or by kfp) and is left alone.
if [[ "${NB_PREFIX}" =~ ^/notebook/([a-z0-9]([-a-z0-9]*[a-z0-9])?)/[^/]+/?$ ]]; then
    namespace="${BASH_REMATCH[1]}"
    kfp_dir="${HOME}/.config/kfp"
    context="${kfp_dir}/context.json"
    written="${kfp_dir}/.context.json.written"
    wanted="{\"namespace\": \"${namespace}\"}"
    current="" last=""
    if [[ -e "${context}" ]]; then current="$(<"${context}")" || current="(unreadable)"; fi
    if [[ -f "${written}" ]]; then last="$(<"${written}")" || last=""; fi
    if [[ "${current}" == "${wanted}" ]]; then
        [[ "${last}" == "${wanted}" ]] || printf '%s\n' "${wanted}" > "${written}" || true
    elif [[ -e "${context}" && "${current}" != "${last}" ]]; then
        log "Kubeflow Pipelines context: keeping ${context} as edited (delete it to get namespace ${namespace} written again)"
    elif mkdir -p "${kfp_dir}" && printf '%s\n' "${wanted}" > "${context}.tmp" \
        && printf '%s\n' "${wanted}" > "${written}" && mv -f "${context}.tmp" "${context}"; then
        log "Kubeflow Pipelines context: namespace ${namespace} (${context})"
    else
        log "warning: could not write ${context}; kfp.Client() will need namespace=\"${namespace}\""
    fi
fi

# ---------------------------------------------------------------- R sessions
# rsession (RStudio) starts from rserver with a clean environment, so kubectl,
# in-cluster clients and kfp inside it would not see the pod's variables. R
# reads Renviron.site at every start of a session; the block between the
# markers is this script's, the rest of the file is kept.
r_home="${R_HOME:-${CONDA_DIR:-/opt/conda}/lib/R}"
if [[ -d "${r_home}/etc" ]]; then
    python3 - "${r_home}/etc/Renviron.site" <<'PY' || true
import os, re, sys
given = sys.argv[1]
# A linked Renviron.site (Debian links it to /etc/R) is rewritten where it lives.
path = os.path.realpath(given)
begin, end = "# >>> pod environment (start-notebook-kubeflow) >>>", "# <<< pod environment (start-notebook-kubeflow) <<<"
wanted = re.compile(r"KUBERNETES_\w+|KF_PIPELINES_\w+|(?i:https?_proxy|no_proxy|all_proxy)|NB_PREFIX")
# Renviron strips quotes, drops backslashes and expands ${...}: a value that
# needs any of that is left out rather than passed on changed.
unsafe = re.compile(r"['\"\\$`\x00-\x1f\x7f]")
names = sorted(name for name in os.environ if wanted.fullmatch(name))
skipped = [name for name in names if unsafe.search(os.environ[name])]
lines = [f"{name}='{os.environ[name]}'" for name in names if name not in skipped]
try:
    try:
        with open(path) as existing:
            old = existing.read().splitlines()
    except FileNotFoundError:
        old = []
    kept, inside = [], False
    for line in old:
        if line == begin:
            inside = True
        elif line == end:
            inside = False
        elif not inside:
            kept.append(line)
    with open(path + ".tmp", "w") as new:
        new.write("\n".join(kept + [begin, *lines, end]) + "\n")
    os.replace(path + ".tmp", path)
except OSError as error:
    sys.exit(f"start-notebook-kubeflow: warning: could not write {given} ({error.strerror}); RStudio sessions will not see the pod's KUBERNETES_* and proxy variables")
if skipped:
    sys.stderr.write(f"start-notebook-kubeflow: warning: left out of {given} (quotes, backslashes, $ or control characters): {', '.join(skipped)}\n")
PY
fi

# ---------------------------------------------------------------- Istio
# Probes one URL once: 0 when it answers 2xx, 3 when nothing listens there,
# 1 for any other answer or failure.
probe() {
    python3 - "$1" <<'PY'
import sys, urllib.error, urllib.request
# The sidecar is on loopback: never through HTTP_PROXY.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=1) as answer:
        sys.exit(0 if 200 <= answer.status < 300 else 1)
except urllib.error.URLError as error:
    sys.exit(3 if isinstance(error.reason, ConnectionRefusedError) else 1)
except Exception:
    sys.exit(1)
PY
}

# An ISTIO_* variable in this container, other than this script's own two
# settings, says a sidecar is expected (a PodDefault sets one).
has_istio_env() {
    local name
    for name in $(compgen -e); do
        [[ "${name}" == ISTIO_* && "${name}" != ISTIO_PROXY_READY_URL && "${name}" != ISTIO_PROXY_WAIT_SECONDS ]] && return 0
    done
    return 1
}

in_pod() {
    [[ -n "${KUBERNETES_SERVICE_HOST:-}" || -e /var/run/secrets/kubernetes.io/serviceaccount/token ]]
}

if in_pod || has_istio_env; then
    url="${ISTIO_PROXY_READY_URL:-http://127.0.0.1:15021/healthz/ready}"
    limit="${ISTIO_PROXY_WAIT_SECONDS:-60}"
    [[ "${limit}" =~ ^[0-9]+$ ]] || die "ISTIO_PROXY_WAIT_SECONDS=${limit} is not a whole number of seconds"
    status=0
    probe "${url}" || status=$?
    if (( status == 3 )) && ! has_istio_env; then
        :  # nothing listens on the sidecar's port: no sidecar in this pod
    elif (( status == 0 )); then
        log "the Istio sidecar is ready (${url})"
    else
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
    --ServerApp.authenticate_prometheus=False \
    "${default_url[@]}" \
    "${extra_args[@]}" \
    "$@"
