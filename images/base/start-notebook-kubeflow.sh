#!/bin/bash
# Start JupyterLab for Kubeflow Notebooks.
#
# - listens on 0.0.0.0:8888, the port the Kubeflow notebook controller expects;
# - serves under NB_PREFIX (/notebook/<namespace>/<name>/ in Kubeflow, "/" otherwise);
# - no token and no password: Kubeflow's gateway authenticates and authorises
#   every request before it reaches the pod;
# - allows any origin (the page is served through the Kubeflow gateway);
# - never tries to open a browser.
#
# It goes through docker-stacks' start.sh, so the usual start-notebook.d /
# before-notebook.d hooks and the root/NB_UID handling still apply.
# Extra server options can be given as arguments or in NOTEBOOK_ARGS, as with
# docker-stacks' start-notebook.py.
set -euo pipefail

NB_PREFIX="${NB_PREFIX:-/}"

extra_args=()
if [[ -n "${NOTEBOOK_ARGS:-}" ]]; then
    read -r -a extra_args <<< "${NOTEBOOK_ARGS}"
fi

exec /usr/local/bin/start.sh jupyter lab \
    --ip=0.0.0.0 \
    --port=8888 \
    --no-browser \
    --ServerApp.base_url="${NB_PREFIX}" \
    --IdentityProvider.token='' \
    --PasswordIdentityProvider.hashed_password='' \
    --ServerApp.allow_origin='*' \
    --ServerApp.allow_remote_access=True \
    "${extra_args[@]}" \
    "$@"
