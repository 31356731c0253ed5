package awssys

import (
	"log/slog"
	"testing"
	"time"

	"github.com/brevduva/brevduva/infra/crl"
)

func TestRevocationFromEnv(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	src, err := revocation(Env(func(string) string { return "" }), log)
	if err != nil || src != nil {
		t.Fatalf("unset: %v, %v", src, err)
	}
	env := Env(func(n string) string {
		if n == EnvCRLURLs {
			return " http://127.0.0.1:1/a.crl , "
		}
		return ""
	})
	src, err = revocation(env, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*crl.Fetcher); !ok {
		t.Fatalf("source %T", src)
	}
	// Nothing listens there: the status is undetermined, which core/trust refuses.
	if _, err := src.CRLs(time.Now()); err == nil {
		t.Fatal("CRLs from a dead URL succeeded")
	}
}
