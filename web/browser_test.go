package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBrowser drives the web client in headless Debian Chromium (web/testdata/e2e/test.mjs,
// npm playwright-core) against `brevduva serve` of a fresh demo on free ports: tenant A
// seals and sends with an attachment, B reads it, A's outbox shows ACCEPTED, the uploads
// hold no plaintext, and the wrong-key / expired / missing-certificate messages show.
// It runs with BREVDUVA_BROWSER=1 when Chromium and web/testdata/e2e/node_modules are installed;
// `make test-browser` installs them and sets BREVDUVA_REQUIRE_BROWSER=1 (missing tools fail).
// Screenshots go to BREVDUVA_BROWSER_OUT (default .cache/browser-artifacts).
func TestBrowser(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	goroot, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, name string, args ...string) {
		t.Helper()
		c := exec.CommandContext(ctx, name, args...)
		c.Dir = ".."
		c.Env = append(os.Environ(), env...)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	bin := filepath.Join(dir, "brevduva")
	run(nil, goBin, "build", "-o", bin, "./cmd/brevduva")
	run([]string{"GOOS=js", "GOARCH=wasm"}, goBin, "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "brevduva.wasm"), "./wasm")
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644); err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("BREVDUVA_BROWSER_OUT")
	if out == "" {
		out, _ = filepath.Abs("../.cache/browser-artifacts")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// "full": the demo as `make run` has it (the access point opens for B).
	// "sealed-inbox": B in end-to-end mode (no O2O key on the server): B's page opens the XHE.
	for _, scenario := range []string{"full", "sealed-inbox"} {
		t.Run(scenario, func(t *testing.T) {
			demo := filepath.Join(dir, scenario)
			run(nil, bin, "demo", "init", "--dir", demo, "--free-ports")
			cfgPath := filepath.Join(demo, "config.json")
			raw, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			tenants, _ := doc["tenants"].([]any)
			if len(tenants) < 2 {
				t.Fatal("config.json: want two tenants")
			}
			if scenario == "sealed-inbox" {
				tenants[1].(map[string]any)["endToEnd"] = true
			}
			addNoO2OParticipant(t, doc)
			raw, _ = json.MarshalIndent(doc, "", "  ")
			if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			secret := func(i int) string {
				cs, _ := tenants[i].(map[string]any)["clients"].([]any)
				if len(cs) == 0 {
					t.Fatal("config.json: tenant without client")
				}
				s, _ := cs[0].(map[string]any)["secret"].(string)
				return s
			}
			base := serve(t, ctx, bin, dir, cfgPath)
			node := exec.CommandContext(ctx, "node", "test.mjs")
			node.Dir = "testdata/e2e"
			node.Env = append(os.Environ(), "BASE="+base, "SECRET_A="+secret(0), "SECRET_B="+secret(1),
				"PKI="+filepath.Join(demo, "pki"), "OUT="+out, "CHROMIUM="+chromium, "SCENARIO="+scenario)
			res, err := node.CombinedOutput()
			t.Logf("node test.mjs:\n%s", res)
			if err != nil {
				t.Fatalf("browser test failed: %v", err)
			}
			if !strings.Contains(string(res), "ok: web client end to end") {
				t.Fatal("browser test did not finish")
			}
		})
	}
}

// NoO2OParticipant is a test bed participant whose SMP entry has no CertPub certificate,
// so a sender finds no encryption certificate (the page must say so).
const NoO2OParticipant = "0203:utan-o2o.brevduva.localhost"

// addNoO2OParticipant registers NoO2OParticipant like the first test participant, without
// its O2O certificate.
func addNoO2OParticipant(t *testing.T, doc map[string]any) {
	t.Helper()
	tps, _ := doc["testParticipants"].([]any)
	if len(tps) == 0 {
		t.Fatal("config.json: no test participants to copy")
	}
	p := map[string]any{}
	for k, v := range tps[0].(map[string]any) {
		p[k] = v
	}
	delete(p, "o2oCert")
	delete(p, "serve")
	delete(p, "endpointListen")
	p["participant"], p["name"], p["endpoint"] = NoO2OParticipant, "Test: utan krypteringscertifikat", "tenant:kommun-b"
	p["description"], p["expect"] = "CertPub publishes no O2O certificate", "the page says the recipient has no encryption certificate"
	doc["testParticipants"] = append(tps, p)
}

// serve starts `brevduva serve --config cfg` until the test ends and returns its web URL.
func serve(t *testing.T, ctx context.Context, bin, wasmDir, cfg string) string {
	srv := exec.CommandContext(ctx, bin, "serve", "--config", cfg)
	srv.Env = append(os.Environ(), "BREVDUVA_WASM_DIR="+wasmDir)
	stdout, _ := srv.StdoutPipe()
	logPath := filepath.Join(filepath.Dir(cfg), "serve.log")
	logf, _ := os.Create(logPath)
	srv.Stderr = logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("serve log (tail):\n%s", tail(string(b), 4000))
		}
	})
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`^\s*web\s+(http://\S+?)/?$`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return m[1]
		}
	}
	t.Fatal("serve printed no web URL")
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
