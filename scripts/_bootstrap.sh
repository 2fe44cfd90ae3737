# Shared install steps for scripts/test and scripts/up (sourced, not run).

bootstrap_python() {
    local extra="${1:-}"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
        .venv/bin/python -m pip install --quiet --upgrade pip
    fi
    local spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
}

bootstrap_node() {
    # npm packages (pinned compiler, anvil) when the project declares them.
    if [ -f package-lock.json ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "npm is required (apt-get install nodejs npm)" >&2
            return 1
        fi
        if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
            npm ci --no-audit --no-fund --loglevel=error
        fi
    fi
}
