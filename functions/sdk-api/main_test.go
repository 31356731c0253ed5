package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/oauthtest"
)

const issuer = "urn:brevduva:test"

// setup returns the function's HTTP event handler on tenant A of an enginetest world
// (in-memory ports), a token for A minted by the local core/oauth server, and the
// world. The verifier is built from the environment the function reads.
func setup(t *testing.T) (func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), string, *enginetest.World) {
	t.Helper()
	w := enginetest.NewWorld(t, nil)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := oauthtest.Issue(t, priv, issuer, w.A.Tenant.ID)
	env := awssys.MapEnv(map[string]string{awssys.EnvOAuthIssuer: issuer,
		awssys.EnvOAuthPublicKey: base64.StdEncoding.EncodeToString(pub)})
	auth, err := awssys.Verifier(env)
	if err != nil {
		t.Fatal(err)
	}
	h, err := awssys.NewSDKAPIHandler(env, &awssys.System{Engine: w.A.Engine, Tenant: w.A.Tenant}, auth)
	if err != nil {
		t.Fatal(err)
	}
	return awssys.HTTPEvent(h), tok, w
}

func fixture(t *testing.T, name, token string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), "{{TOKEN}}", token)), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestListMessages(t *testing.T) {
	h, token, w := setup(t)
	if _, err := w.Submit(enginetest.ID(1), enginetest.FnB); err != nil {
		t.Fatal(err)
	}
	resp, err := h(context.Background(), fixture(t, "apigw-v2-list-messages.json", token))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, enginetest.ID(1)) {
		t.Fatalf("%d %.500s", resp.StatusCode, resp.Body)
	}
}

func TestTokenRequired(t *testing.T) {
	h, token, _ := setup(t)
	for name, tok := range map[string]string{"none": "", "forged": token[:len(token)-4] + "AAAA"} {
		resp, _ := h(context.Background(), fixture(t, "apigw-v2-list-messages.json", tok))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d %.200s", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestVerifierNeedsIssuerAndKey(t *testing.T) {
	if _, err := awssys.Verifier(awssys.MapEnv(map[string]string{awssys.EnvOAuthIssuer: issuer,
		awssys.EnvOAuthPublicKey: "c2hvcnQ="})); err == nil {
		t.Error("short key accepted")
	}
	if _, err := awssys.Verifier(awssys.MapEnv(nil)); err == nil {
		t.Error("empty environment accepted")
	}
}

// TestRemoteSigner: the function's remote signer signs a SignedInfo digest with the
// tenant's O2O key (here the world's key; KMS in AWS, tested in infra/aws/kmskeys against
// local-kms) and answers the tenant's certificate.
func TestRemoteSigner(t *testing.T) {
	h, token, w := setup(t)
	digest := sha256.Sum256([]byte("canonical SignedInfo"))
	e := fixture(t, "apigw-v2-sign.json", token)
	e.Body = strings.Replace(e.Body, "{{DIGEST}}", base64.StdEncoding.EncodeToString(digest[:]), 1)
	resp, err := h(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	var doc sdkapi.Document[sdkapi.SignResource]
	if err := json.Unmarshal([]byte(resp.Body), &doc); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("%d %.500s", resp.StatusCode, resp.Body)
	}
	a := doc.Data.Attributes
	cert := w.A.Tenant.O2OCert
	if len(a.Certificates) != 1 || !bytes.Equal(a.Certificates[0], cert.Raw) {
		t.Fatalf("certificates: %d", len(a.Certificates))
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], a.SignatureValue); err != nil {
		t.Fatalf("signature: %v", err)
	}
}
