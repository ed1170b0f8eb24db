# The dashboard in a real Chromium (Debian's package, driven by playwright-core) against the app
# started as `npm start` starts it; APOGEE_REQUIRE_BROWSER=1 makes a missing browser fail.
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
APOGEE_REQUIRE_BROWSER=1 vitest_json browser --config e2e/vitest.config.ts
