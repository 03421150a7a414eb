#!/usr/bin/env bash
# museokit's two commands, on a fresh Debian or Raspberry Pi OS with python3:
#
#   ./dev.sh demo    install museokit in .venv and run hello-button in the simulator
#   ./dev.sh test    install the test tools (apt and pip) and run lint, types and tests
#
# Everything is installed from this folder's own files; run it again at any time.
# Also: ./dev.sh test-arm64 runs a subset of the tests on an emulated Raspberry Pi
# (Debian bookworm arm64, under qemu; slow, so not part of `test` or CI).
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
    chromium chromium-driver poppler-utils  # the report's and the dashboard's tests: Chromium, PDF via pdftoppm
    openssl espeak-ng  # the dashboard's TLS certificate, the maintenance mode's speech
    util-linux         # unshare: the interaction log's full-disk test mounts a tiny tmpfs
    git                # fork sources in the brick tests
    python3-dev linux-libc-dev)  # spidev and evdev (LED strips, USB tag readers) build from source

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

# -- ./dev.sh test-arm64 -----------------------------------------------------------------
# A Debian bookworm arm64 root (debootstrap), run under qemu-user-static, cached here:
ARM64_ROOT=${MUSEOKIT_ARM64_ROOT:-/var/tmp/museokit-arm64}
# The extras a Pi installation uses, and the tests that need no external program
# (mosquitto, simavr, xvfb, chromium): core, gpio mock pins, serial protocol, examples.
ARM64_EXTRAS="gpio,serial,mqtt,media,vision"
# What Raspberry Pi OS has and a minimal Debian lacks: pygame's mixer loads libgthread (glib).
ARM64_APT=(python3 python3-venv libglib2.0-0)
ARM64_TESTS=(tests/test_layers.py tests/test_bus.py tests/test_loop.py tests/test_config.py
    tests/test_behaviour.py tests/test_schedule.py tests/test_pins_config.py tests/test_plugins.py
    tests/test_devices_inputs.py tests/test_devices_outputs.py tests/test_rgb_led.py
    tests/test_gpio_backend.py tests/test_serial_protocol.py tests/test_serial_config.py
    tests/test_serial_bad_input.py tests/test_topics.py tests/test_scenario.py tests/test_examples.py)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

arm64_root() {  # the cached root, made on first use (about 3 min, more on a busy machine)
    apt_install debootstrap qemu-user-static binfmt-support
    if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
        as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || as_root update-binfmts --enable qemu-aarch64
    if [ ! -x "$ARM64_ROOT/usr/bin/python3" ]; then
        say "building the arm64 root in $ARM64_ROOT (debootstrap, under emulation)"
        as_root rm -rf "$ARM64_ROOT.part"
        as_root debootstrap --arch=arm64 --variant=minbase --include="$(IFS=,; echo "${ARM64_APT[*]}")" \
            bookworm "$ARM64_ROOT.part" http://deb.debian.org/debian
        as_root mv "$ARM64_ROOT.part" "$ARM64_ROOT"
    fi
    local pkg missing=()
    for pkg in "${ARM64_APT[@]}"; do  # a root cached before a package joined the list
        as_root chroot "$ARM64_ROOT" dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]} in the arm64 root (apt, under emulation)"
        as_root cp -L /etc/resolv.conf "$ARM64_ROOT/etc/resolv.conf"
        as_root chroot "$ARM64_ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q
        as_root chroot "$ARM64_ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    as_root chroot "$ARM64_ROOT" /usr/bin/python3 -c 'import platform; assert platform.machine() == "aarch64"'
}

arm64_unmount() {
    local m
    for m in dev/pts dev proc tmp; do
        ! mountpoint -q "$ARM64_ROOT/$m" || as_root umount -l "$ARM64_ROOT/$m"
    done
}

test_arm64() {
    local start=$SECONDS t0 src=/museokit-src report
    t0=$SECONDS
    arm64_root
    say "arm64 root ready ($((SECONDS - t0)) s)"
    # pip inside reaches the index only with the host's CA bundle (and its pip.conf).
    as_root mkdir -p "$ARM64_ROOT/etc/ssl/certs"
    as_root cp /etc/ssl/certs/ca-certificates.crt "$ARM64_ROOT/etc/ssl/certs/"
    [ ! -f /etc/pip.conf ] || as_root cp /etc/pip.conf "$ARM64_ROOT/etc/pip.conf"
    as_root cp -L /etc/resolv.conf "$ARM64_ROOT/etc/resolv.conf"
    # The project's own files, fresh each run (no .venv, no git, no caches).
    as_root rm -rf "$ARM64_ROOT$src"
    as_root mkdir -p "$ARM64_ROOT$src"
    tar -c --exclude=.venv --exclude=.git --exclude=__pycache__ --exclude='*.egg-info' \
        --exclude=.mypy_cache --exclude=.ruff_cache --exclude=.pytest_cache --exclude=build . |
        as_root tar -x -C "$ARM64_ROOT$src"
    trap arm64_unmount EXIT
    as_root mount -t proc proc "$ARM64_ROOT/proc"
    as_root mount --bind /dev "$ARM64_ROOT/dev"
    as_root mount --bind /dev/pts "$ARM64_ROOT/dev/pts"
    as_root mount -t tmpfs tmpfs "$ARM64_ROOT/tmp"

    t0=$SECONDS
    say "installing museokit[$ARM64_EXTRAS] + pytest in the arm64 root (pip, under emulation)"
    as_root rm -rf "$ARM64_ROOT/opt/venv"
    as_root chroot "$ARM64_ROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
        /bin/sh -ec "python3 -m venv /opt/venv
            /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet \
                --report /tmp/pip-report.json '$src[$ARM64_EXTRAS]' 'pytest>=8,<10' 'hypothesis>=6.100,<7'
            cp /tmp/pip-report.json $src/pip-report.json"
    local install_s=$((SECONDS - t0))
    report=$(python3 - "$ARM64_ROOT$src/pip-report.json" <<'PY'
import json, sys
binary, pure, built, local = [], [], [], []
for item in json.load(open(sys.argv[1]))["install"]:
    name = f'{item["metadata"]["name"]} {item["metadata"]["version"]}'
    info = item["download_info"]
    url = info["url"]
    if "dir_info" in info:
        local.append(name)
    elif url.endswith(".whl"):
        (pure if url.endswith("-none-any.whl") else binary).append(
            f'{name} ({url.rsplit("/", 1)[-1].split("-", 2)[-1].removesuffix(".whl")})'
            if not url.endswith("-none-any.whl") else name)
    else:
        built.append(name)
print("  binary wheels from PyPI (aarch64): " + (", ".join(binary) or "none"))
print("  pure-Python wheels from PyPI: " + (", ".join(pure) or "none"))
print("  built from source here: " + (", ".join(built + [n + " (this folder)" for n in local]) or "none"))
PY
)
    say "installed in ${install_s} s"
    echo "$report"

    t0=$SECONDS
    say "pytest under emulation: ${ARM64_TESTS[*]}"
    local rc=0
    as_root chroot "$ARM64_ROOT" /usr/bin/env -i PATH=/opt/venv/bin:/usr/bin:/bin HOME=/root \
        LANG=C.UTF-8 /bin/sh -c "cd $src && python -c 'import platform; print(\"machine:\", platform.machine())' \
            && python -m pytest -q -p no:cacheprovider -m 'not external' ${ARM64_TESTS[*]}" || rc=$?
    local test_s=$((SECONDS - t0))
    arm64_unmount
    trap - EXIT
    say "arm64: root+install+tests $((SECONDS - start)) s (install ${install_s} s, tests ${test_s} s), pytest exit $rc"
    echo "$report"
    return "$rc"
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
    test-arm64)
        test_arm64
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
