package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// sdkFixtures are DIGG's files (CC0; origin notes in each core package's testdata/ORIGIN)
// copied into each script's $WORK/digg.
var sdkFixtures = []string{
	"../../core/sdkmsg/testdata/min.xml",
	"../../core/sdkmsg/testdata/TF2.4.1.xml",
	"../../core/sdkmsg/testdata/TF2.4.2.xml",
	"../../core/sdkmsg/testdata/messageWithAttachments3.xml",
	"../../core/xhe/testdata/XHE-tm-base.xml",
	"../../core/kvittens/testdata/Kvittens_AP-Accepterat.xml",
	"../../core/kvittens/testdata/Kvittens_RE-SIG.xml",
	"../../core/o2o/testdata/xhe_unencrypted.embedded.xml",
	"../../core/o2o/testdata/as4_xhe_encrypted.embedded.xml",
	"../../core/o2o/testdata/xhe_encrypted_payload.xml",
	"../../core/o2o/testdata/xhe_unencrypted_payload.xml",
	"../../core/o2o/testdata/XHE-tm-base-ext-sigenc.xml",
	"../../core/o2o/testdata/test-siths-o2o-trust.pem",
	"../../core/o2o/testdata/test-siths-root-only.pem",
}

// TestSDKScripts runs testdata/sdk/*.txtar: sdk validate, xhe seal/open/verify and
// kvittens through the real CLI (TestMain in main_test.go).
func TestSDKScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/sdk",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			dir := filepath.Join(env.WorkDir, "digg")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			for _, f := range sdkFixtures {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
