package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/x25519cert"
)

// TestAS4Scripts runs testdata/as4/*.txtar against the real CLI. Setup writes
// an eDelivery AS4 2.0 PKI (Ed25519 signing, X25519 encryption) to $WORK/pki20,
// which `brevduva pki demo` does not make. The command `replace FILE OLD NEW`
// edits a file in place (first occurrence), for tampering tests.
func TestAS4Scripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/as4",
		RequireExplicitExec: true,
		Setup:               func(env *testscript.Env) error { return writePKI20(filepath.Join(env.WorkDir, "pki20")) },
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				path := ts.MkAbs(args[0])
				b, err := os.ReadFile(path)
				ts.Check(err)
				if !strings.Contains(string(b), args[1]) {
					ts.Fatalf("replace: %q not in %s", args[1], args[0])
				}
				ts.Check(os.WriteFile(path, []byte(strings.Replace(string(b), args[1], args[2], 1)), 0o644))
			},
		},
	})
}

func writePKI20(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ca, err := demopki.NewCA("Brevduva Demo AP CA 2.0", demopki.Options{Kind: demopki.Ed25519})
	if err != nil {
		return err
	}
	put := func(name string, blk *pem.Block) error {
		return os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(blk), 0o600)
	}
	if err := put("ap-ca.ca.pem", demopki.CertPEM(ca.Cert.Cert)); err != nil {
		return err
	}
	for _, n := range []struct{ file, cn string }{{"ap-a", "AP0001-ED"}, {"ap-b", "AP0002-ED"}} {
		sig, err := ca.Issue(n.cn, demopki.Options{Kind: demopki.Ed25519})
		if err != nil {
			return err
		}
		kb, err := demopki.KeyPEM(sig.Key)
		if err != nil {
			return err
		}
		xk, err := x25519cert.NewKey()
		if err != nil {
			return err
		}
		xc, err := x25519cert.Issue(ca, n.cn+" enc", xk.PublicKey(), demopki.Options{})
		if err != nil {
			return err
		}
		xder, err := x509.MarshalPKCS8PrivateKey(xk)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			blk  *pem.Block
		}{
			{n.file + ".sign.key.pem", kb}, {n.file + ".sign.cert.pem", demopki.CertPEM(sig.Cert)},
			{n.file + ".enc.key.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: xder}}, {n.file + ".enc.cert.pem", demopki.CertPEM(xc)},
		} {
			if err := put(f.name, f.blk); err != nil {
				return err
			}
		}
	}
	return nil
}
