#!/usr/bin/env bash
# Install the Debian packages a target needs, or say clearly which are missing.
#   ensure-system.sh run    what the app itself needs: PortAudio to record, ffmpeg to convert audio
#   ensure-system.sh test   what the test suite needs besides: a real terminal (tmux), a real
#                           browser (chromium), real audio without a sound card (a PulseAudio
#                           null sink fed with speech from espeak-ng), a wall clock that
#                           jumps (faketime), and the independent readers of the exports:
#                           node and npm (for the npm webvtt-parser, which
#                           scripts/ensure-node.sh installs), LibreOffice's Calc (the CSV),
#                           poppler-utils (the printed report's pages)
set -euo pipefail
target=${1:-run}

case "$target" in
  run)  packages=(libportaudio2 ffmpeg) ;;
  test) packages=(libportaudio2 ffmpeg tmux chromium pulseaudio pulseaudio-utils libasound2-plugins espeak-ng
                  nodejs libreoffice-calc-nogui poppler-utils faketime) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# npm: Debian packages it apart from nodejs; NodeSource's nodejs carries it (and conflicts
# with Debian's npm package), so it is asked for only when there is no npm command
if [ "$target" = test ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}. This is not a Debian-like system: install them by hand." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "Missing system packages: ${missing[*]}." >&2
  echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
