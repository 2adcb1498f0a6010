#!/usr/bin/env sh
# Updates a ComfyUI git checkout with comfydoctor standing its models link aside while the
# updater runs, then linking and protecting it again (see the README, "Updating ComfyUI").
#
#   update_comfyui.sh                      # git pull --ff-only in $COMFYUI_DIR
#   update_comfyui.sh python update.py .   # any other updater, run as given
#
# COMFYUI_DIR defaults to ./ComfyUI next to this script. Python requirements are installed
# afterwards, outside the guard (they do not touch models/).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
COMFYUI_DIR=${COMFYUI_DIR:-"$here/ComfyUI"}
if ! command -v comfydoctor >/dev/null 2>&1; then
  echo "comfydoctor is not on PATH" >&2
  exit 2
fi
if [ "$#" -eq 0 ]; then
  set -- git -C "$COMFYUI_DIR" pull --ff-only
fi
status=0
comfydoctor guard "$COMFYUI_DIR" -- "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "comfydoctor guard: the update ended with code $status; see the messages above" >&2
  exit "$status"
fi
if [ -f "$COMFYUI_DIR/requirements.txt" ] && [ -n "${PYTHON:-}" ]; then
  "$PYTHON" -m pip install -r "$COMFYUI_DIR/requirements.txt"
fi
