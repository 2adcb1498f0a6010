# run_comfyui.ps1: starts ComfyUI after comfydoctor has checked its models folder and repaired
# what it can without asking (a models junction an update deleted or left dangling, a stock
# models folder put back). Silent when all is healthy. Its arguments go to main.py.
#
# Where to put it:
#   - the Windows portable build: next to run_nvidia_gpu.bat (python_embeded\ beside it); it then
#     starts ComfyUI as run_nvidia_gpu.bat does;
#   - any other install: in the ComfyUI folder (beside main.py), or set COMFYUI_DIR.
# comfydoctor.exe next to this script, on PATH, or named by COMFYDOCTOR.
# PYTHON picks the Python for a non-portable install (default: venv\ or .venv\ in the ComfyUI
# folder, ..\.venv as in a ComfyDock environment, else python on PATH).
#   powershell -ExecutionPolicy Bypass -File run_comfyui.ps1 --listen 0.0.0.0
#
# comfydoctor's exit code (README, "Exit codes" and "Launch scripts"); every documented one
# means comfydoctor finished what it started:
#   0      healthy (or repaired): ComfyUI starts.
#   1      findings it leaves to you: ComfyUI starts; "comfydoctor scan <ComfyUI>" lists them.
#   2      comfydoctor changed nothing (a fix refused or rolled back, the global models folder
#          not known yet: set COMFYDOCTOR_MODELS_DIR, another comfydoctor run holding the
#          install): ComfyUI starts as it is; the reason is printed above.
#   other  comfydoctor crashed mid-run, which can leave the models folder half changed: ComfyUI
#          does NOT start. The next start first finishes or rolls back the interrupted run.
# comfydoctor not found: ComfyUI starts as it would without this script.
# $env:COMFYDOCTOR_SKIP = "1" starts ComfyUI without asking comfydoctor.

$here = $PSScriptRoot
$portable = Test-Path -LiteralPath (Join-Path $here 'python_embeded\python.exe')
if ($portable) {
    $comfy = Join-Path $here 'ComfyUI'
    $python = Join-Path $here 'python_embeded\python.exe'
    $pythonArgs = @('-s', 'ComfyUI\main.py', '--windows-standalone-build')
    $workdir = $here
} else {
    $comfy = if ($env:COMFYUI_DIR) { $env:COMFYUI_DIR } else { $here }
    $python = $env:PYTHON
    if (-not $python) {
        foreach ($p in @('venv\Scripts\python.exe', '.venv\Scripts\python.exe', '..\.venv\Scripts\python.exe')) {
            $candidate = Join-Path $comfy $p
            if (Test-Path -LiteralPath $candidate) { $python = $candidate; break }
        }
    }
    if (-not $python) { $python = 'python' }
    $pythonArgs = @('main.py')
    $workdir = $comfy
}
if (-not (Test-Path -LiteralPath (Join-Path $comfy 'main.py'))) {
    Write-Host "run_comfyui.ps1: no main.py in $comfy; see the top of this script for where to put it"
    exit 2
}

$doctor = $env:COMFYDOCTOR
if (-not $doctor -and (Test-Path -LiteralPath (Join-Path $here 'comfydoctor.exe'))) {
    $doctor = Join-Path $here 'comfydoctor.exe'
}
if (-not $doctor) {
    $found = Get-Command comfydoctor -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($found) { $doctor = $found.Source }
}

if ($env:COMFYDOCTOR_SKIP -eq '1') {
    # Asked to start without the doctor.
} elseif (-not $doctor -or -not (Get-Command $doctor -ErrorAction SilentlyContinue)) {
    Write-Host 'run_comfyui.ps1: comfydoctor not found (put comfydoctor.exe next to this script); starting ComfyUI without it'
} else {
    & $doctor fix --yes --quiet $comfy
    $code = $LASTEXITCODE
    if ($code -eq 1) {
        Write-Host "run_comfyui.ps1: comfydoctor left findings for you; see: comfydoctor scan `"$comfy`""
    } elseif ($code -eq 2) {
        Write-Host "run_comfyui.ps1: comfydoctor changed nothing (the reason is above); starting ComfyUI as it is. See: comfydoctor scan `"$comfy`""
    } elseif ($code -ne 0) {
        Write-Host "run_comfyui.ps1: comfydoctor ended with exit code $code, perhaps half-way: ComfyUI not started."
        Write-Host "  See: comfydoctor scan `"$comfy`".  To start anyway: `$env:COMFYDOCTOR_SKIP = '1'"
        exit $code
    }
}

Set-Location -LiteralPath $workdir
& $python @pythonArgs @args
exit $LASTEXITCODE
