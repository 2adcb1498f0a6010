@echo off
rem run_nvidia_gpu_comfydoctor.bat: what run_nvidia_gpu.bat does, with comfydoctor first.
rem
rem Put this file next to run_nvidia_gpu.bat in the ComfyUI_windows_portable folder, and
rem comfydoctor.exe next to it (or anywhere on PATH). Start ComfyUI with it instead of
rem run_nvidia_gpu.bat; its arguments go to main.py.
rem
rem comfydoctor checks ComfyUI\models first and repairs what it can without asking (a models
rem junction an update deleted or left dangling, a stock models folder put back). Tell it the
rem global models folder once: set COMFYDOCTOR_MODELS_DIR (below, or in the user environment).
rem Its exit code (every documented one means comfydoctor finished what it started):
rem   0      healthy (or repaired): ComfyUI starts.
rem   1      findings it leaves to you: ComfyUI starts; "comfydoctor scan ComfyUI" lists them.
rem   2      comfydoctor changed nothing (a fix refused or rolled back, the global models folder
rem          not known yet, another comfydoctor run holding the install): ComfyUI starts as it
rem          is; the reason is printed above.
rem   other  comfydoctor crashed mid-run, which can leave ComfyUI\models half changed: ComfyUI
rem          does NOT start. The next start first finishes or rolls back the interrupted run.
rem comfydoctor not found: ComfyUI starts as run_nvidia_gpu.bat would start it.
rem To start without comfydoctor: run_nvidia_gpu.bat, or set COMFYDOCTOR_SKIP=1 first.
rem COMFYDOCTOR=<path to comfydoctor.exe> picks another copy.
setlocal
cd /d "%~dp0"
rem set "COMFYDOCTOR_MODELS_DIR=D:\models"

if "%COMFYDOCTOR_SKIP%"=="1" goto start
set "DOCTOR=%COMFYDOCTOR%"
if not defined DOCTOR if exist "%~dp0comfydoctor.exe" set "DOCTOR=%~dp0comfydoctor.exe"
if not defined DOCTOR for /f "delims=" %%p in ('where comfydoctor.exe 2^>nul') do if not defined DOCTOR set "DOCTOR=%%p"
if not defined DOCTOR goto nodoctor

"%DOCTOR%" fix --yes --quiet "%~dp0ComfyUI"
set "CODE=%ERRORLEVEL%"
if "%CODE%"=="0" goto start
if "%CODE%"=="1" goto findings
if "%CODE%"=="2" goto unchanged
rem 9009: cmd could not run it at all (COMFYDOCTOR names no program).
if "%CODE%"=="9009" goto nodoctor
echo.
echo comfydoctor ended with exit code %CODE%, perhaps half-way: ComfyUI was not started.
echo See: comfydoctor scan "%~dp0ComfyUI"
echo To start anyway: run_nvidia_gpu.bat
pause
exit /b %CODE%

:unchanged
echo comfydoctor changed nothing (the reason is above); starting ComfyUI as it is.
echo See: comfydoctor scan "%~dp0ComfyUI"
goto start

:findings
echo comfydoctor left findings for you; see: comfydoctor scan "%~dp0ComfyUI"
goto start

:nodoctor
echo comfydoctor was not found (put comfydoctor.exe next to this file); starting ComfyUI without it.

:start
.\python_embeded\python.exe -s ComfyUI\main.py --windows-standalone-build %*
pause
