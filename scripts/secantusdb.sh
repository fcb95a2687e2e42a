#!/usr/bin/env bash
# SecantusDB: a MongoDB-wire-protocol server from PyPI (GPL-2.0) used as the TEST and LOCAL
# database server. It runs as a separate process from its own virtual environment
# ($SECANTUS_VENV, default .tools/secantusdb); it is never imported by, vendored into or
# shipped with Lumi. Production uses MongoDB.
#
#   scripts/secantusdb.sh install             create the venv with the pinned version
#   scripts/secantusdb.sh start DIR [PORT]    start on PORT (default: a free one), data and
#                                             log under DIR; prints the mongodb:// URL
#   scripts/secantusdb.sh stop DIR            stop the server started with DIR
set -euo pipefail
VERSION=0.7.0b3
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${SECANTUS_VENV:-$ROOT/.tools/secantusdb}"
PYTHON="${PYTHON:-python3}"

install() {
  if [ -x "$VENV/bin/secantusd-py" ] && "$VENV/bin/python" -c \
      "import importlib.metadata as m; assert m.version('secantusdb') == '$VERSION'" 2>/dev/null; then
    return 0
  fi
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "secantusdb==$VERSION" >&2
}

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1" port="${2:-}"
  install
  mkdir -p "$dir/data"
  dir="$(cd "$dir" && pwd)"
  [ -n "$port" ] || port="$(free_port)"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "SecantusDB already running (pid $(cat "$dir/pid"))" >&2
  else
    nohup "$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$dir/data" \
      --log-level WARNING >>"$dir/secantusdb.log" 2>&1 &
    echo $! >"$dir/pid"
    echo "$port" >"$dir/port"
  fi
  port="$(cat "$dir/port")"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "mongodb://127.0.0.1:$port/"
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "SecantusDB did not start; log: $dir/secantusdb.log" >&2
  tail -20 "$dir/secantusdb.log" >&2 || true
  return 1
}

stop() {
  local dir="$1"
  [ -f "$dir/pid" ] || return 0
  local pid
  pid="$(cat "$dir/pid")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?DIR}" "${3:-}" ;;
  stop) stop "${2:?DIR}" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
