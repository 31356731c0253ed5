package web

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/internal/oidctest"
)

// TestBrowserOIDC drives the page's OIDC sign-in (auth.js: code flow + PKCE) in headless
// Chromium against mockoidc (an OpenID Provider we did not write) as the issuer of
// `brevduva serve`: the user of Kommun A sees only the mailbox of the token's function
// address, no token lands in storage, cookies or the address bar, a forged state is
// refused, and when the short-lived token expires the page asks to sign in again.
// Same switches as TestBrowser (BREVDUVA_BROWSER / BREVDUVA_REQUIRE_BROWSER).
func TestBrowserOIDC(t *testing.T) {
	chromium := browserTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := buildBrowserBins(t, ctx, dir)
	const ttl = 30 * time.Second
	p := oidctest.Start(t, oidctest.Options{AccessTTL: ttl, CORS: true})
	demo := filepath.Join(dir, "demo")
	runIn(t, ctx, nil, bin, "demo", "init", "--dir", demo, "--free-ports")
	cfgPath := filepath.Join(demo, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["oidc"] = p.LocalConfig()
	tenant := doc["tenants"].([]any)[0].(map[string]any)
	fas := tenant["functionAddresses"].([]any)
	mine := fas[0].(map[string]any)["id"].(string)
	raw, _ = json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the first sign-in, the forged-state attempt's successor, the sign-in after expiry
		p.QueueUser(oidctest.User{Subject: "anna.andersson", Tenant: tenant["id"].(string), Scope: strings.Join(oauth.AllScopes, " "),
			FunctionAddresses: []string{mine}})
	}
	base := serve(t, ctx, bin, dir, cfgPath)
	node := exec.CommandContext(ctx, "node", "oidc.mjs")
	node.Dir = "testdata/e2e"
	node.Env = append(os.Environ(), "BASE="+base, "OUT="+browserOut(t), "CHROMIUM="+chromium, "MAILBOX="+mine,
		"MAILBOXES="+itoa(len(fas)), "TTL_MS="+itoa(int(ttl/time.Millisecond)))
	res, err := node.CombinedOutput()
	t.Logf("node oidc.mjs:\n%s", res)
	if err != nil {
		t.Fatalf("browser OIDC test failed: %v", err)
	}
	if !strings.Contains(string(res), "ok: oidc sign-in") {
		t.Fatal("browser OIDC test did not finish")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// browserTools skips (or fails under BREVDUVA_REQUIRE_BROWSER) without Chromium, node,
// playwright-core and axe-core, and returns Chromium's path.
func browserTools(t *testing.T) string {
	t.Helper()
	if os.Getenv("BREVDUVA_BROWSER") != "1" && os.Getenv("BREVDUVA_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test: set BREVDUVA_BROWSER=1 or run `make test-browser`")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, errC := os.Stat(chromium)
	_, errN := exec.LookPath("node")
	_, errM := os.Stat("testdata/e2e/node_modules/axe-core")
	if errM == nil {
		_, errM = os.Stat("testdata/e2e/node_modules/playwright-core")
	}
	if errC != nil || errN != nil || errM != nil {
		if os.Getenv("BREVDUVA_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser test needs chromium, node and playwright-core: %v %v %v", errC, errN, errM)
		}
		t.Skip("chromium, node or playwright-core missing: run `make test-browser`")
	}
	return chromium
}

// runIn runs name in the repository root with env added and returns its stdout.
func runIn(t *testing.T, ctx context.Context, env []string, name string, args ...string) []byte {
	t.Helper()
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = ".."
	c.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr.String())
	}
	return out
}

// buildBrowserBins builds brevduva and the wasm module (with Go's wasm_exec.js) into dir
// and returns the brevduva binary.
func buildBrowserBins(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "brevduva")
	runIn(t, ctx, nil, goBin, "build", "-o", bin, "./cmd/brevduva")
	runIn(t, ctx, []string{"GOOS=js", "GOARCH=wasm"}, goBin, "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "brevduva.wasm"), "./wasm")
	goroot := strings.TrimSpace(string(runIn(t, ctx, nil, goBin, "env", "GOROOT")))
	execJS, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644); err != nil {
		t.Fatal(err)
	}
	return bin
}

// browserOut is the screenshots folder (BREVDUVA_BROWSER_OUT, default .cache/browser-artifacts).
func browserOut(t *testing.T) string {
	t.Helper()
	out := os.Getenv("BREVDUVA_BROWSER_OUT")
	if out == "" {
		out, _ = filepath.Abs("../.cache/browser-artifacts")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
