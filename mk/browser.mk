# The web client in real headless Chromium (web/browser_test.go drives web/testdata/e2e/test.mjs):
# Debian's chromium (installed with apt-get when missing), npm playwright-core and axe-core at the
# versions pinned in web/testdata/e2e/package-lock.json (never `npx playwright install`); Debian's
# openssl writes the PKCS#12 file the page loads; Debian's xmlsec1 verifies the kvittens the page seals.
# Screenshots are written to .cache/browser-artifacts (git-ignored).
.PHONY: test-browser

test-browser:
	@(command -v chromium && command -v openssl && command -v xmlsec1) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium openssl xmlsec1)
	@(test -d web/testdata/e2e/node_modules/playwright-core && test -d web/testdata/e2e/node_modules/axe-core) || (cd web/testdata/e2e && npm ci --no-audit --no-fund)
	BREVDUVA_REQUIRE_BROWSER=1 BREVDUVA_BROWSER_OUT=$(CURDIR)/.cache/browser-artifacts $(GO) test -count=1 -v -run TestBrowser ./web

CI_SUITES += test-browser
