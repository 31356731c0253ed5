package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/oauthtest"
)

// Issue 9, access control: the SMP's write API (core/smp admin, below
// {base}/admin/participants/) takes only BREVDUVA_SMP_ADMIN_TOKEN ("admin-secret" in
// handler); every other credential is answered 401 with a WWW-Authenticate challenge
// (RFC 6750 §3, RFC 7617 §2), while the SMP's read API stays public.

// adminEvent is an API Gateway event for the admin API: GET of kommun-a.se's
// registration with the Authorization header auth ("" for none).
func adminEvent(t *testing.T, auth string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	e := fixture(t, "apigw-v2-service-group.json")
	e.RawPath = "/smp/admin/participants/" + url.PathEscape("iso6523-actorid-upis::0203:kommun-a.se")
	e.RequestContext.HTTP.Path = e.RawPath
	e.Headers["accept"] = "application/json"
	if auth != "" {
		e.Headers["authorization"] = auth
	}
	return e
}

func TestAdminCredentials(t *testing.T) {
	h := handler(t)
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	cases := []struct {
		name, auth string
		want       int
	}{
		{"no credentials", "", http.StatusUnauthorized},
		{"wrong token", "Bearer admin-secreT", http.StatusUnauthorized},
		{"SDK API bearer token", "Bearer " + oauthtest.Token(t, "kommun-a"), http.StatusUnauthorized},
		{"address book admin token", "Bearer addressbook-secret", http.StatusUnauthorized},
		{"the token as a basic password", basic("admin", "admin-secret"), http.StatusUnauthorized},
		{"the token without the Bearer scheme", "admin-secret", http.StatusUnauthorized},
		{"right token", "Bearer admin-secret", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := h(context.Background(), adminEvent(t, c.auth))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("%d, want %d: %.300s", resp.StatusCode, c.want, resp.Body)
			}
			challenge := resp.Headers["Www-Authenticate"]
			switch {
			case c.want == http.StatusUnauthorized && !strings.Contains(challenge, "Bearer"):
				t.Fatalf("401 without a Bearer challenge: %q", challenge)
			case c.want == http.StatusOK && !strings.Contains(resp.Body, "https://ap.kommun-a.se/as4"):
				t.Fatalf("registration not returned: %.300s", resp.Body)
			}
		})
	}
}

// The read API needs no credentials, and ignores wrong ones.
func TestReadAPIStaysPublic(t *testing.T) {
	h := handler(t)
	for _, auth := range []string{"", "Bearer wrong"} {
		e := fixture(t, "apigw-v2-signed-metadata.json")
		if auth != "" {
			e.Headers["authorization"] = auth
		}
		resp, err := h(context.Background(), e)
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "SignedServiceMetadata") {
			t.Fatalf("auth %q: %v %d %.300s", auth, err, resp.StatusCode, resp.Body)
		}
	}
}

// Without BREVDUVA_SMP_ADMIN_TOKEN the function does not start (main: log.Fatal):
// there is no SMP without an authenticated admin API.
func TestNeedsAdminToken(t *testing.T) {
	for _, token := range []string{"", " "} {
		env := awssys.MapEnv(map[string]string{awssys.EnvSMPBaseURL: "https://smp.brevduva.example/smp/",
			awssys.EnvSMPKey: "file:/nonexistent", awssys.EnvSMPCert: "/nonexistent", awssys.EnvSMPAdminToken: token})
		_, err := awssys.NewSMPHandlerOn(context.Background(), env, smptest.NewMemory(), nil)
		if !errors.Is(err, awssys.ErrMissing) || !strings.Contains(err.Error(), awssys.EnvSMPAdminToken) {
			t.Fatalf("token %q: %v", token, err)
		}
	}
}
