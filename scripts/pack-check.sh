#!/usr/bin/env bash
# Packaging check (README "Install"): `npm pack`, then for Node 22 and Node 24 install
# the tarball with `npm i -g` into a temporary prefix and run `chat-tui --version`, `--help` and `demo`
# (in a tmux window: the demo must show rooms and a message, then Ctrl-C must exit 0).
# Node versions missing on the machine are installed from the npm registry into ~/.cache/chat-tui/nodeNN.
# Usage: npm run pack-check            (needs the npm registry and tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'tmux -L packcheck kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
npm run build >/dev/null
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
echo "pack-check: $tarball ($(du -k "$work/$tarball" | cut -f1) KiB, $(tar tzf "$work/$tarball" | wc -l) files)"
bad=$(tar tzf "$work/$tarball" | sed 's#^package/##' | grep -Ev '^(bin/|dist/|README\.md$|LICENSE$|package\.json$)' || true)
if [ -n "$bad" ]; then echo "pack-check: unexpected files in the tarball:" >&2; echo "$bad" >&2; exit 1; fi
version=$(node -p 'require("./package.json").version')
for major in 22 24; do
  prefix="${XDG_CACHE_HOME:-$HOME/.cache}/chat-tui/node$major"
  if [ ! -x "$prefix/bin/node" ]; then
    echo "pack-check: installing node@$major into $prefix"
    npm install -g --prefix "$prefix" "node@$major" --no-audit --no-fund >/dev/null
  fi
  nodebin="$prefix/bin"
  inst="$work/global$major"
  PATH="$nodebin:$PATH" npm install -g --prefix "$inst" "$work/$tarball" --no-audit --no-fund >/dev/null
  run() { PATH="$inst/bin:$nodebin:$PATH" CHAT_TUI_CONFIG_DIR="$work/cfg$major" "$@"; }
  got=$(run chat-tui --version)
  [ "$got" = "$version" ] || { echo "pack-check: node $major: --version printed '$got', want $version" >&2; exit 1; }
  run chat-tui --help | grep -q 'Usage: chat-tui' || { echo "pack-check: node $major: --help" >&2; exit 1; }
  tmux -L packcheck new-session -d -x 100 -y 30 "PATH='$inst/bin:$nodebin:$PATH' CHAT_TUI_CONFIG_DIR='$work/cfg$major' chat-tui demo; echo EXIT=\$?; sleep 30"
  ok=
  for _ in $(seq 1 100); do
    screen=$(tmux -L packcheck capture-pane -p)
    if grep -q '#general' <<<"$screen" && grep -Eq '[0-9]{2}:[0-9]{2} .*│ ' <<<"$screen"; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { echo "pack-check: node $major: the demo showed no messages:" >&2; tmux -L packcheck capture-pane -p >&2; exit 1; }
  tmux -L packcheck send-keys C-c
  for _ in $(seq 1 50); do tmux -L packcheck capture-pane -p | grep -q 'EXIT=0' && break; sleep 0.2; done
  tmux -L packcheck capture-pane -p | grep -q 'EXIT=0' || { echo "pack-check: node $major: the demo did not exit 0 on Ctrl-C" >&2; exit 1; }
  tmux -L packcheck kill-server
  echo "pack-check: node $("$nodebin/node" --version): npm i -g, --version ($got), --help, demo: ok"
done
echo "pack-check: ok"
