#!/usr/bin/env bash
# museokit's two commands, on a fresh Debian or Raspberry Pi OS with python3:
#
#   ./dev.sh demo    install museokit in .venv and run hello-button in the simulator
#   ./dev.sh test    install the test tools (apt and pip) and run lint, types and tests
#
# Everything is installed from this folder's own files; run it again at any time.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${MUSEOKIT_VENV:-.venv}
# Debian packages the test suite needs.
# Firmware: gcc-avr + arduino-core-avr build the sketch, libsimavr runs it, g++ tests its parser.
# systemd: systemd-analyze verify checks the unit `museokit service install` writes.
APT_TEST_PACKAGES=(systemd g++ gcc-avr avr-libc arduino-core-avr arduino-builder simavr libsimavr-dev libsimavrparts1
    fonts-dejavu-core  # the screen's default font (accented scripts)
    xvfb xdotool       # the simulator window's tests: a display, and clicks in it
    mosquitto mosquitto-clients  # the MQTT link's tests: a real broker, mosquitto_pub/sub
    chromium git)      # the brick catalog and sheet, opened in headless chromium; git fork sources

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

need_python() {
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "museokit needs Python 3.11 or newer (Debian 12 / Raspberry Pi OS bookworm have it)." >&2
        exit 1
    fi
}

apt_install() {
    local missing=() pkg sudo=""
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    say "installing ${missing[*]} (apt)"
    # Wait for the dpkg lock instead of failing when another install is running.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        --no-install-recommends "${missing[@]}"
}

make_venv() {  # $1: pip extras, e.g. "[test]"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        if ! python3 -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            apt_install python3-venv  # Debian ships venv separately
            python3 -m venv "$VENV"
        fi
    fi
    say "installing museokit$1 into $VENV (pip)"
    # strict: the editable install is a tree of links named museokit/ (toolkit/ and sim/
    # mapped), which mypy and editors can read; a new module needs this step again.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --config-settings editable_mode=strict -e ".$1"
}

case "${1:-}" in
    demo)
        need_python
        make_venv ""
        exec "$VENV/bin/museokit" sim installations/hello-button
        ;;
    test)
        need_python
        ((${#APT_TEST_PACKAGES[@]} == 0)) || apt_install "${APT_TEST_PACKAGES[@]}"
        make_venv "[test]"
        say "ruff"
        "$VENV/bin/ruff" check .
        say "mypy (strict on museokit.core)"
        "$VENV/bin/mypy" -p museokit
        say "pytest"
        exec "$VENV/bin/pytest" -q
        ;;
    *)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
