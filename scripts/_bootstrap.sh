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

_missing_system_packages() {
    # PostgreSQL's server programs (the service tests start a private cluster) and Chromium
    # (the page tests drive it through Playwright).
    local missing=()
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1
    then
        missing+=(postgresql)
    fi
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1
    then
        missing+=(chromium)
    fi
    echo "${missing[@]}"
}

bootstrap_system() {
    # Installs what is missing with apt-get (sudo when not root); does nothing, and asks
    # apt nothing, when everything is there.
    local missing
    missing="$(_missing_system_packages)"
    [ -z "$missing" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "the test suite needs: $missing (install them with your package manager)" >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "the test suite needs: $missing; run as root or install sudo" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "installing $missing (apt-get)" >&2
    # shellcheck disable=SC2086  # the package names are words
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends $missing >/dev/null; then
        # a fresh machine has no package lists yet
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends $missing >/dev/null
    fi
    missing="$(_missing_system_packages)"
    if [ -n "$missing" ]; then
        echo "still missing after apt-get: $missing" >&2
        return 1
    fi
}
