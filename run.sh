#!/usr/bin/env bash
# One entry point for people and CI.
#   bash run.sh demo     install into .venv, build the demo city, serve it at http://127.0.0.1:8000
#   bash run.sh test     install into .venv (and Chromium for the browser tests), run the whole suite
# Any other arguments are passed to the `kaifang` command inside the virtual environment.
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  for candidate in python3.13 python3.12 /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "Kaifang needs Python 3.12 or newer (Django 6 requires it)." >&2
  return 1
}

ensure_venv() {
  local stamp=.venv/.installed
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
  fi
}

ensure_browser() {
  # Debian's Chromium drives the browser tests (Playwright cannot download its own here);
  # a CJK font makes screenshots of Chinese pages legible.
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "Please install: ${missing[*]} (apt-get)" >&2
      return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

cmd="${1:-demo}"
shift || true
case "$cmd" in
  demo)
    ensure_venv
    exec .venv/bin/kaifang demo "$@"
    ;;
  test)
    ensure_venv
    ensure_browser
    export KAIFANG_HOME="${KAIFANG_HOME:-$(mktemp -d /tmp/kaifang-test.XXXXXX)}"
    if [ -z "${DATABASE_URL:-}" ] && [ -z "${KAIFANG_TEST_SQLITE:-}" ]; then
      # SQLite tests use a database file (in memory where /dev/shm exists), not ":memory:": the live
      # server of the browser tests answers each request on its own thread, and an in-memory database
      # would make those threads share one connection (SQLite's "bad parameter or other API misuse").
      scratch=/dev/shm; [ -d "$scratch" ] && [ -w "$scratch" ] || scratch="$KAIFANG_HOME"
      export KAIFANG_TEST_SQLITE="$scratch/kaifang-test-$$.sqlite3"
      trap 'rm -f "$KAIFANG_TEST_SQLITE" "$KAIFANG_TEST_SQLITE-wal" "$KAIFANG_TEST_SQLITE-shm"' EXIT
      .venv/bin/python -m pytest "$@"
      exit $?
    fi
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    ensure_venv
    exec .venv/bin/kaifang "$cmd" "$@"
    ;;
esac
