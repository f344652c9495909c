#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine; quick when already done.
#   bash tools/setup.sh            Python venv, npm packages, and Debian packages when missing
# Idempotent: each step is skipped when its inputs have not changed since it last ran.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
# nginx: the reverse proxy of docs/deploy.md, started for real by tests/server/test_nginx.py
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null || need_apt+=(nginx)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)  # the report PDF's tests
# (no grep -q after a pipe: it exits at the first match, the writer gets SIGPIPE, and pipefail
# would then count a found font as missing)
fc-list 2>/dev/null | grep -i garuda >/dev/null || need_apt+=(fonts-thai-tlwg)
# Pillow's wheels bundle libraqm (Thai shaping for the landmark signs) but load FriBiDi from
# the system.
ldconfig -p 2>/dev/null | grep libfribidi >/dev/null || need_apt+=(libfribidi0)
fc-list 2>/dev/null | grep -i "noto color emoji" >/dev/null || need_apt+=(fonts-noto-color-emoji)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  if [[ " ${need_apt[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true  # tests start their own
  fi
fi

stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
want=$(stamp pyproject.toml)
if [ "$(cat .venv/.srichan-stamp 2>/dev/null)" != "$want" ]; then
  echo "setup: pip install -e '.[dev]'"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import srichan_world, trimesh, aiohttp" 
  echo "$want" > .venv/.srichan-stamp
fi

if [ -f package-lock.json ]; then
  want=$(stamp package-lock.json)
  if [ "$(cat node_modules/.srichan-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    # Precompressed copies of the browser's vendor modules: aiohttp sends the .gz sibling to
    # browsers that accept gzip (2.6 MB of three.js becomes ~0.6 MB on the wire).
    find node_modules/three/build node_modules/three/examples/jsm/loaders \
      node_modules/three/examples/jsm/utils node_modules/three/examples/jsm/renderers \
      node_modules/three/examples/jsm/libs \
      node_modules/@msgpack/msgpack/dist.esm -maxdepth 1 \( -name '*.js' -o -name '*.mjs' \) \
      -exec gzip -kf9 {} +
    echo "$want" > node_modules/.srichan-stamp
  fi
fi
