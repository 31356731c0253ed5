package awssys

import (
	"log/slog"
	"net/http"

	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/infra/crl"
)

// EnvCRLURLs lists CRL URLs (comma-separated) checked for every peer AP and O2O
// certificate, fail closed (infra/crl, core/trust; docs/design/crl.md).
const EnvCRLURLs = "BREVDUVA_CRL_URLS"

// revocation is the CRL source of BREVDUVA_CRL_URLS, nil when unset. A Lambda
// environment keeps the cache for as long as it lives.
func revocation(env Env, log *slog.Logger) (trust.CRLSource, error) {
	urls := env.list(EnvCRLURLs)
	if len(urls) == 0 {
		return nil, nil
	}
	f, err := crl.New(crl.Options{URLs: urls, Client: &http.Client{}, Logger: log.With("component", "crl")})
	if err != nil {
		return nil, err
	}
	return f, nil
}
