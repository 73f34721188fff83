#!/bin/sh
# Nx runtime inputs: prints what Nx's own hashing cannot see. One part per
# argument, so each target hashes only what it reads:
#
# settings (nx.json namedInputs "settingsIdentity", the input of each
# upstream's settings target):
# - The environment's value of every variable build_settings.env sets or
#   references: together with the file (a file input) they decide the
#   settings after dotenv-expand, e.g. IMAGE_REGISTRY=${ACR_NAME}.azurecr.io.
#   The settings target resolves them into its stream's settings file, which
#   the stream's builds hash: an environment override of one stream's pin
#   (GPU_JUPYTER_HEAD_COMMIT) leaves the other stream's build keys alone.
#
# images (namedInputs "buildIdentity", an input of every build-<stream>):
# - The executable files under images/: Nx hashes contents, not modes, and
#   the engine copies the exec bit into the image. Files the engine never
#   receives (.dockerignore) are listed too: flipping one makes the build run
#   and find its image unchanged, which costs a lookup, never a wrong reuse.
# - The target text of every symlink under images/: the engine sends a link
#   as the link itself, so the content tag hashes that text, which Nx's file
#   hashing does not see.
# - With IMAGE_PUSH=true, a value of its own: the registry, not Nx, is the
#   cache when pushing, so every executor runs and asks the registry (a HEAD
#   per image) instead of trusting a record the registry may have lost.
#
# POSIX sh, not Node: Nx runs a runtime input once per task it hashes, and a
# Node start that loads the settings module costs about 0.1 s of CPU each
# time (6 s for a 60-image noop). The settings module
# (src/lib/settings/build-settings.ts) stays the truth: a spec runs this
# script against its parse (settingsVariables, booleanSetting IMAGE_PUSH).
set -u
LC_ALL=C
export LC_ALL
kf_settings=build_settings.env
case "${1:-}" in
  settings | images) ;;
  *) echo "usage: build-identity.sh settings|images" >&2; exit 2 ;;
esac

if [ "$1" = settings ] && [ -f "$kf_settings" ]; then
  {
    sed -n 's/^[[:space:]]*\(export[[:space:]][[:space:]]*\)\{0,1\}\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*=.*/\2/p' "$kf_settings"
    grep -o '\$[{]\{0,1\}[A-Za-z_][A-Za-z0-9_]*' "$kf_settings" | sed 's/^\$[{]\{0,1\}//'
  } | sort -u | while IFS= read -r kf_name; do
    if eval "[ \"\${$kf_name+set}\" = set ]"; then
      eval "printf 'env %s=%s\n' \"\$kf_name\" \"\$$kf_name\""
    else
      printf 'env %s unset\n' "$kf_name"
    fi
  done
fi

if [ "$1" = images ] && [ -d images ]; then
  find images -type f \( -perm -u=x -o -perm -g=x -o -perm -o=x \) | sort | sed 's/^/exec /'
  find images -type l | sort | while IFS= read -r kf_link; do
    printf 'link %s -> %s\n' "$kf_link" "$(readlink "$kf_link")"
  done
fi

# IMAGE_PUSH may be set in build_settings.env too (the environment wins, as for every setting). The
# settings module is the truth (a spec runs this script against it); a value built from a reference
# is expanded only there, so it counts as a push here: a cache miss, never a wrong reuse.
if [ "$1" != images ]; then
  kf_push=
elif [ "${IMAGE_PUSH+set}" = set ]; then
  kf_push=$IMAGE_PUSH
elif [ -f "$kf_settings" ]; then
  kf_push=$(sed -n "s/^[[:space:]]*\(export[[:space:]][[:space:]]*\)\{0,1\}IMAGE_PUSH[[:space:]]*=[[:space:]]*//p" "$kf_settings" | head -n 1)
  case $kf_push in
    *'$'*) kf_push=true ;;
    *) kf_push=$(printf '%s' "$kf_push" | sed "s/^[\"']\{0,1\}\([A-Za-z]*\).*/\1/") ;;
  esac
else
  kf_push=
fi
if [ "$kf_push" = true ]; then
  printf 'push run %s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
fi
