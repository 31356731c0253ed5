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
	_, errM := os.Stat("testdata/e2e/node_modules/playwright-core")
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
	demo := filepath.Join(dir, "demo")
	run(nil, bin, "demo", "init", "--dir", demo, "--free-ports")

	srv := exec.CommandContext(ctx, bin, "serve", "--config", filepath.Join(demo, "config.json"))
	srv.Env = append(os.Environ(), "BREVDUVA_WASM_DIR="+dir)
	stdout, _ := srv.StdoutPipe()
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	srv.Stderr = logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			t.Logf("serve log (tail):\n%s", tail(string(b), 4000))
		}
	}()
	base := ""
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`^\s*web\s+(http://\S+?)/?$`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("serve printed no web URL")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	var cfg struct {
		Tenants []struct {
			ID      string `json:"id"`
			Clients []struct {
				Secret string `json:"secret"`
			} `json:"clients"`
		} `json:"tenants"`
	}
	b, err := os.ReadFile(filepath.Join(demo, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil || len(cfg.Tenants) < 2 {
		t.Fatalf("config.json: %v", err)
	}
	out := os.Getenv("BREVDUVA_BROWSER_OUT")
	if out == "" {
		out, _ = filepath.Abs("../.cache/browser-artifacts")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	node := exec.CommandContext(ctx, "node", "test.mjs")
	node.Dir = "testdata/e2e"
	node.Env = append(os.Environ(), "BASE="+base, "SECRET_A="+cfg.Tenants[0].Clients[0].Secret,
		"SECRET_B="+cfg.Tenants[1].Clients[0].Secret, "PKI="+filepath.Join(demo, "pki"), "OUT="+out, "CHROMIUM="+chromium)
	res, err := node.CombinedOutput()
	t.Logf("node test.mjs:\n%s", res)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
	if !strings.Contains(string(res), "ok: web client end to end") {
		t.Fatal("browser test did not finish")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
