package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/brevduva/brevduva/internal/discoverytest"
)

// TestLookupScripts runs testdata/lookup/*.txtar against a real DNS server and a real
// SMP on 127.0.0.1 (internal/discoverytest): $DNS is the server, $ZONE the SML zone,
// smp-ca.pem and ap-ca.pem the demo CAs in the script's folder.
func TestLookupScripts(t *testing.T) {
	env := discoverytest.Start(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/lookup",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("DNS", env.DNS.Addr)
			e.Setenv("ZONE", discoverytest.Zone)
			for file, ca := range map[string]string{"smp-ca.pem": "smp-ca", "ap-ca.pem": "ap-ca", "wrong-ca.pem": "o2o-ca"} {
				b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: env.PKI.CA(ca).Cert.Cert.Raw})
				if err := os.WriteFile(filepath.Join(e.WorkDir, file), b, 0o600); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
