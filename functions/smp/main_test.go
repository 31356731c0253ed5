package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/demopki"
)

func handler(t *testing.T) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	t.Helper()
	pki := demopki.ForTest(t)
	leaf := pki.Leaves[0]
	dir := t.TempDir()
	kp, err := demopki.KeyPEM(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b *pem.Block) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	store := smptest.NewMemory()
	pid := smp.Identifier{Scheme: smp.SchemeParticipant, Value: "0203:kommun-a.se"}
	reg := &smp.Registration{Participant: pid, Services: []smp.Service{{
		Document: smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage},
		Process:  smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
		Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap.kommun-a.se/as4",
			CertificateDER: leaf.Cert.Raw, Description: "AP", TechnicalContactURL: "mailto:drift@kommun-a.se"}}}}}
	if err := store.Put(context.Background(), reg); err != nil {
		t.Fatal(err)
	}
	env := awssys.MapEnv(map[string]string{
		awssys.EnvSMPBaseURL: "https://smp.brevduva.example/smp/", awssys.EnvSMPKey: "file:" + write("smp.key.pem", kp),
		awssys.EnvSMPCert: write("smp.cert.pem", demopki.CertPEM(leaf.Cert)), awssys.EnvSMPAdminToken: "admin-secret"})
	h, err := awssys.NewSMPHandlerOn(context.Background(), env, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return awssys.HTTPEvent(h)
}

func fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("{{DOC}}"), []byte(url.PathEscape(smp.DocumentSDKMessage)))
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestServiceGroup(t *testing.T) {
	resp, err := handler(t)(context.Background(), fixture(t, "apigw-v2-service-group.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "ServiceGroup") || !strings.Contains(resp.Body, "0203:kommun-a.se") {
		t.Fatalf("%d %.600s", resp.StatusCode, resp.Body)
	}
}

func TestSignedServiceMetadata(t *testing.T) {
	resp, err := handler(t)(context.Background(), fixture(t, "apigw-v2-signed-metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "SignedServiceMetadata") ||
		!strings.Contains(resp.Body, "SignatureValue") || !strings.Contains(resp.Body, "https://ap.kommun-a.se/as4") {
		t.Fatalf("%d %.600s", resp.StatusCode, resp.Body)
	}
}

func TestUnknownParticipantIs404(t *testing.T) {
	e := fixture(t, "apigw-v2-service-group.json")
	e.RawPath = strings.Replace(e.RawPath, "kommun-a", "kommun-x", 1)
	resp, _ := handler(t)(context.Background(), e)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("%d", resp.StatusCode)
	}
}
