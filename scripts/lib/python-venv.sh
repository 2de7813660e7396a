# Sourced by the scripts that install pinned Python tools (schemathesis.sh, docker-checks.sh).
#
# create_venv DIR: a fresh virtual environment with pip in DIR. Debian's python3 without the
# python3-venv package has no ensurepip: the venv is then made without pip, and pip's wheel is
# fetched from PyPI, checked against its SHA-256, and installs itself.

PIP_WHEEL_URL=https://files.pythonhosted.org/packages/07/25/ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/pip-26.3-py3-none-any.whl
PIP_WHEEL_SHA256=f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13

create_venv() {
    local venv=$1
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if python3 -m venv "$venv" 2>/dev/null; then
        return 0
    fi
    echo "python3 -m venv failed (no ensurepip?): creating the venv without pip, then pip from PyPI" >&2
    rm -rf "$venv"
    python3 -m venv --without-pip "$venv"
    local wheel=$venv/${PIP_WHEEL_URL##*/}
    "$venv/bin/python" - "$PIP_WHEEL_URL" "$PIP_WHEEL_SHA256" "$wheel" <<'EOF'
import hashlib, sys, urllib.request
url, expected, path = sys.argv[1:]
with urllib.request.urlopen(url, timeout=120) as response:
    data = response.read()
if hashlib.sha256(data).hexdigest() != expected:
    sys.exit(f"{url}: sha256 mismatch")
with open(path, "wb") as file:
    file.write(data)
EOF
    # A pip wheel runs as pip: it installs itself.
    "$venv/bin/python" "$wheel/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
    rm -f "$wheel"
}
