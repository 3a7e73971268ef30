# Shared by tools/run-app and tools/run-tests: make sure .venv exists with the project installed.
# Usage: source tools/bootstrap.sh [EXTRA]   (EXTRA: "test" installs the test dependencies too)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
extra=${1:-}

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "ovhkvm-desktop needs Python 3.11 or newer (python3 is $(python3 --version 2>&1))" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$venv"
        else
            echo "python3 cannot make a virtual environment: install python3-venv (sudo apt install python3-venv)" >&2
            exit 1
        fi
    fi
fi
# Reinstall only when pyproject.toml, setup.py, the compiled decoders' source or the translations'
# sources changed since the last install (the install builds rfb/decoders/_accel.pyx and
# the compiled translations in place). The tests check both decode paths, so with "test" a
# failed build of the compiled one is an error, not a warning.
stamp="$venv/.installed-$extra-$(cat "$repo/pyproject.toml" "$repo/setup.py" \
    "$repo/ovhkvm_desktop/rfb/decoders/_accel.pyx" "$repo"/resources/translations/*.[tp][so] \
    | sha256sum | cut -c1-16)"
if [ "$extra" = test ]; then
    export OVHKVM_REQUIRE_COMPILED=1
    if ! compgen -G "$repo/ovhkvm_desktop/rfb/decoders/_accel*.so" >/dev/null; then
        rm -f "$stamp"  # built before, then cleaned away (git clean): build it again
    fi
fi
if [ ! -e "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    if [ -n "$extra" ]; then
        "$venv/bin/python" -m pip install -q -e "$repo[$extra]"
    else
        "$venv/bin/python" -m pip install -q -e "$repo"
    fi
    touch "$stamp"
fi
