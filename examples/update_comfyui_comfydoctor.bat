@echo off
rem Updates the Windows portable ComfyUI like update_comfyui.bat does, with comfydoctor standing
rem the models link aside while the updater runs (it runs on pygit2/libgit2, which would write
rem through the link into your global models folder and overwrite edited stock configs).
rem
rem Put this file next to the portable build's update\update_comfyui.bat, with comfydoctor.exe on
rem PATH (or next to this file). What it does:
rem   1. comfydoctor unlinks ComfyUI\models (written back from git as the checkout has it; your
rem      global models folder is not touched), and gives git its usual state;
rem   2. the official update_comfyui.bat runs, unchanged;
rem   3. comfydoctor links models\ again: stock files the update changed are merged only where the
rem      global folder lacks them, an edited one is kept as yours (upstream's version waits in
rem      ComfyUI\models.comfydoctor-backup-*), and git is protected again.
rem If it is interrupted, the next `comfydoctor fix` (the launch hook) finishes step 3.
setlocal
cd /d "%~dp0"
set "CD_EXE=comfydoctor"
if exist "%~dp0comfydoctor.exe" set "CD_EXE=%~dp0comfydoctor.exe"
"%CD_EXE%" --version >nul 2>nul
if errorlevel 1 (
  echo comfydoctor was not found: put comfydoctor.exe next to this file or on PATH.
  if "%~1"=="" pause
  exit /b 2
)
rem "nopause": the official script then does not wait for a key itself.
"%CD_EXE%" guard ..\ComfyUI -- cmd /c update_comfyui.bat nopause
set "RC=%ERRORLEVEL%"
if not "%RC%"=="0" echo comfydoctor guard: the update ended with code %RC%; see the messages above.
if "%~1"=="" pause
exit /b %RC%
