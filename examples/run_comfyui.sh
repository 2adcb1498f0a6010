#!/usr/bin/env bash
# Starts ComfyUI after comfydoctor has checked its models folder and repaired what is safe to
# repair without asking (a deleted or dangling models link, a stock models/ an updater restored).
# Silent when all is healthy.
#
# Copy it into your ComfyUI folder (beside main.py), or set COMFYUI_DIR; its arguments go to
# main.py:   ./run_comfyui.sh --listen 0.0.0.0
#
# Settings (environment variables, all optional):
#   COMFYUI_DIR             the ComfyUI folder (default: the folder this script is in)
#   PYTHON                  the Python for main.py (default: venv/bin/python or .venv/bin/python
#                           in COMFYUI_DIR, ../.venv/bin/python as in a ComfyDock environment,
#                           else python3 on PATH)
#   COMFYDOCTOR             the comfydoctor program (default: comfydoctor on PATH)
#   COMFYDOCTOR_MODELS_DIR  the global models folder, when no ComfyDock workspace names it
#   COMFYDOCTOR_SKIP=1      start ComfyUI without asking comfydoctor
#
# What comfydoctor's exit code means here (README, "Exit codes" and "Launch scripts"). Every
# documented code means comfydoctor finished what it started:
#   0      healthy (or repaired): start ComfyUI.
#   1      findings remain that `fix --yes` leaves to you (a warning, a choice it asks about):
#          start ComfyUI, and say so.
#   2      comfydoctor changed nothing for this install (a fix refused or rolled back, the global
#          models folder not known yet, another comfydoctor run holding it, no install found):
#          start ComfyUI as it is, and say so; the reason is printed above.
#   other  comfydoctor crashed or was killed mid-run, which can leave the models folder half
#          changed: ComfyUI is NOT started. The next `fix --yes` (the next launch) first
#          finishes or rolls back the interrupted run.
# comfydoctor not installed: said once, and ComfyUI starts as it would without this script.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
comfy=${COMFYUI_DIR:-$here}
if [ ! -f "$comfy/main.py" ]; then
  echo "run_comfyui.sh: no main.py in $comfy; copy this script into your ComfyUI folder or set COMFYUI_DIR" >&2
  exit 2
fi

doctor=${COMFYDOCTOR:-comfydoctor}
if [ "${COMFYDOCTOR_SKIP:-}" = 1 ]; then
  :
elif ! command -v "$doctor" >/dev/null 2>&1; then
  echo "run_comfyui.sh: comfydoctor not found (install it: see its README); starting ComfyUI without it" >&2
else
  "$doctor" fix --yes --quiet "$comfy"
  code=$?
  case $code in
    0) ;;
    1) echo "run_comfyui.sh: comfydoctor left findings for you; see: $doctor scan \"$comfy\"" >&2 ;;
    2) echo "run_comfyui.sh: comfydoctor changed nothing (reason above); starting ComfyUI as it is. See: $doctor scan \"$comfy\"" >&2 ;;
    *)
      echo "run_comfyui.sh: comfydoctor ended with exit code $code, perhaps half-way: ComfyUI not started." >&2
      echo "  See: $doctor scan \"$comfy\".  To start anyway: COMFYDOCTOR_SKIP=1 $0" >&2
      exit "$code"
      ;;
  esac
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
  for p in "$comfy/venv/bin/python" "$comfy/.venv/bin/python" "$comfy/../.venv/bin/python"; do
    if [ -x "$p" ]; then
      python=$p
      break
    fi
  done
fi
if [ -z "$python" ]; then
  python=$(command -v python3 || command -v python || echo python3)
fi
cd "$comfy" || exit 2
exec "$python" main.py "$@"
