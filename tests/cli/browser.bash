# tests/cli/browser.bash — what the browser tests (browser_report.sh, browser_analysis.sh) share
# (sourced; not .sh, so ctest does not run it). The caller defines say() and fail().

# find_browser: sets $browser to Chromium (CHROMIUM=/path, else chromium, chromium-browser or
# google-chrome on PATH). Without one the test prints SKIP and exits 0, unless
# TEXTLRP_REQUIRE_BROWSER=1.
find_browser() {
  browser="${CHROMIUM:-}"
  if [[ -z "$browser" ]]; then
    local candidate
    for candidate in chromium chromium-browser google-chrome; do
      if command -v "$candidate" > /dev/null; then
        browser="$(command -v "$candidate")"
        break
      fi
    done
  fi
  if [[ -z "$browser" ]]; then
    [[ "${TEXTLRP_REQUIRE_BROWSER:-0}" == 1 ]] && fail "no chromium found (set CHROMIUM=/path)"
    say "SKIP: no chromium found (install Debian's chromium or set CHROMIUM=/path)"
    exit 0
  fi
  say "browser: $browser"
}

# render_page HTML DOM PNG WIDTH,HEIGHT TIMEOUT LOGDIR: loads HTML in headless Chromium (a fresh
# profile per run, no network), writes the parsed and serialized DOM to DOM and a screenshot to PNG;
# Chromium's logs go to LOGDIR/chromium-{dump-dom,screenshot}.log.
render_page() {
  local html="$1" dom="$2" png="$3" size="$4" seconds="$5" logs="$6" url
  browser_profiles=()
  trap '[[ ${#browser_profiles[@]} -eq 0 ]] || rm -rf "${browser_profiles[@]}"' EXIT
  run_chromium() {
    local profile
    profile="$(mktemp -d)"
    browser_profiles+=("$profile")
    timeout "$seconds" "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$profile" "$@"
  }
  url="$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$html")"
  say "loading $url"
  run_chromium --dump-dom "$url" > "$dom" 2> "$logs/chromium-dump-dom.log" ||
    fail "chromium --dump-dom failed (exit $?); see $logs/chromium-dump-dom.log"
  [[ -s "$dom" ]] || fail "chromium dumped an empty DOM; see $logs/chromium-dump-dom.log"
  say "ok: DOM dumped ($(wc -c < "$dom") bytes)"
  run_chromium --screenshot="$png" --window-size="$size" --hide-scrollbars "$url" \
    > "$logs/chromium-screenshot.log" 2>&1 ||
    fail "chromium --screenshot failed (exit $?); see $logs/chromium-screenshot.log"
}

# dump_dom_query HTML QUERY DOM TIMEOUT LOGDIR: loads HTML?QUERY (file:// URL) in headless Chromium
# and writes the DOM after the page's scripts ran to DOM (log: LOGDIR/chromium-dump-dom-query.log).
dump_dom_query() {
  local html="$1" query="$2" dom="$3" seconds="$4" logs="$5" url profile
  profile="$(mktemp -d)"
  browser_profiles+=("$profile")
  url="$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$html")?$query"
  say "loading $url"
  timeout "$seconds" "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom "$url" > "$dom" 2> "$logs/chromium-dump-dom-query.log" ||
    fail "chromium --dump-dom $url failed (exit $?); see $logs/chromium-dump-dom-query.log"
  [[ -s "$dom" ]] || fail "chromium dumped an empty DOM for $url"
}
