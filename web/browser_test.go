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
	chromium := browserTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := buildBrowserBins(t, ctx, dir)
	out := browserOut(t)
	// "full": the demo as `make run` has it (the access point opens for B).
	// "sealed-inbox": B in end-to-end mode (no O2O key on the server): B's page opens the XHE.
	for _, scenario := range []string{"full", "sealed-inbox"} {
		t.Run(scenario, func(t *testing.T) {
			demo := filepath.Join(dir, scenario)
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
