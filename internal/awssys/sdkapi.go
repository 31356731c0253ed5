package awssys

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkapi"
)

// DefaultSDKAPIBasePath is where the SDK API is served unless BREVDUVA_SDK_API_BASE_PATH
// says otherwise (DIGG's guide: https://open-test.digg.se/sdk-api/v1/).
const DefaultSDKAPIBasePath = "/sdk-api/v1"

// NewSDKAPIHandler is the SDK API of the system's tenant behind auth; browsers of the
// origins in BREVDUVA_CORS_ORIGINS (comma-separated) get CORS answers.
func NewSDKAPIHandler(env Env, sys *System, auth sdkapi.Authenticator) (http.Handler, error) {
	base := env.get(EnvSDKAPIBasePath)
	if base == "" {
		base = DefaultSDKAPIBasePath
	}
	signers, err := remoteSigner(env, sys)
	if err != nil {
		return nil, err
	}
	h, err := sdkapi.NewHandler(sdkapi.Options{Service: sdkapi.NewEngineService(map[string]*msh.Engine{sys.Tenant.ID: sys.Engine}), Auth: auth,
		BasePath: base, Now: time.Now, Logger: sys.Logger, Signer: signers,
		AllowedOrigins: env.list(EnvCORSOrigins)})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	a, err := withAudit(sys, auth, h)
	if err != nil {
		return nil, err
	}
	return withAuditMetric(newAuditMeter(sys.Engine, sys.Tenant.ID, sys.Logger), a), nil
}

// remoteSigner is the SDK API's remote signer (POST /sdk/signatures): the tenant's O2O
// signing key of BREVDUVA_O2O_KEY (a KMS key: it signs digests and never leaves KMS) with
// the chain of BREVDUVA_O2O_CERT (else the tenant's certificate alone); none when the
// function has no O2O key.
func remoteSigner(env Env, sys *System) (sdkapi.KeyMap, error) {
	if sys.Tenant.O2OKey == nil || sys.Tenant.O2OCert == nil {
		return sdkapi.KeyMap{}, nil
	}
	chain := []*x509.Certificate{sys.Tenant.O2OCert}
	if v := env.get(EnvO2OCert); v != "" {
		var err error
		if chain, err = loadCerts(EnvO2OCert, v); err != nil {
			return nil, err
		}
	}
	return sdkapi.KeyMap{sys.Tenant.ID: {Key: sys.Tenant.O2OKey, Chain: chain}}, nil
}
