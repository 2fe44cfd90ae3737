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

_has_chinese_font() {
    # A simplified-Chinese font for certificates (api/service/certificate.py looks in
    # fontconfig first, then at Debian's paths).
    if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh-cn file 2>/dev/null)" ]
    then
        return 0
    fi
    ls /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
       /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
       /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1
}

_missing_system_packages() {
    # "service" (scripts/up): a Chinese font for the PDF certificates, and fontconfig to
    # find it. "test" (scripts/test), besides: PostgreSQL's server programs (the service
    # tests start a private cluster), Chromium (the page tests drive it through
    # Playwright) and poppler-utils (pdftoppm: the certificate tests read the page).
    local purpose="${1:-test}"
    local missing=()
    _has_chinese_font || missing+=(fonts-noto-cjk)
    command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
    if [ "$purpose" = test ]; then
        if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
                && ! command -v initdb >/dev/null 2>&1; then
            missing+=(postgresql)
        fi
        if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1
        then
            missing+=(chromium)
        fi
        command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    fi
    echo "${missing[@]}"
}

bootstrap_system() {
    # Installs what is missing for "test" (the default) or "service" with apt-get (sudo
    # when not root); does nothing, and asks apt nothing, when everything is there.
    local purpose="${1:-test}"
    local missing
    missing="$(_missing_system_packages "$purpose")"
    [ -z "$missing" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "credbank ($purpose) needs: $missing (install them with your package manager)" >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "credbank ($purpose) needs: $missing; run as root or install sudo" >&2
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
    missing="$(_missing_system_packages "$purpose")"
    if [ -n "$missing" ]; then
        echo "still missing after apt-get: $missing" >&2
        return 1
    fi
}
