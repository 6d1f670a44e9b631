# arena_env.sh — sourced by the tests that start `tianti arena serve`
# (tests/integration/test_arena_*browser.sh, test_arena_servers.sh) after
# they define fail(): browser_require checks what the browser tests
# need (Chromium, node, playwright-core in tests/browser, sqlite3;
# scripts/setup.sh --test installs them, so a missing one is a failure, not
# a skip); arena_port waits for `tianti arena serve --port 0` to print the
# address it listens on and echoes the port.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

browser_require() {
  [ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM (scripts/setup.sh --test installs it)"
  command -v node >/dev/null || fail "node not installed (scripts/setup.sh --test installs it)"
  [ -d "$TIANTI_SOURCE_DIR/tests/browser/node_modules/playwright-core" ] \
    || fail "playwright-core not installed in tests/browser (scripts/setup.sh --test runs npm ci there)"
  command -v sqlite3 >/dev/null || fail "sqlite3 not installed (scripts/setup.sh --test installs it)"
}

# arena_port OUT_FILE PID: the port from the server's first line, or "" when
# it exited or printed none within 10 s
arena_port() {
  local port= _
  for _ in $(seq 100); do
    port=$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$1")
    [ -n "$port" ] && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "$port"
}
