package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/oauthtest"
)

// Issue 9, access control: the address book's admin API (core/addressbook, below
// {base}/admin/) takes only the function's own credentials — BREVDUVA_ADDRESSBOOK_ADMIN_TOKEN
// or the basic user and password; every other credential is answered 401 with a
// WWW-Authenticate challenge (RFC 6750 §3, RFC 7617 §2). The read API stays public.

func basic(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }

func TestAdminCredentials(t *testing.T) {
	sdk := oauthtest.Token(t, "kommun-a")
	tokenEnv := testEnv
	basicEnv := awssys.MapEnv(map[string]string{envAdminUser: "admin", envAdminPassword: "admin-password"})
	cases := []struct {
		name string
		env  awssys.Env
		auth string
		want int
	}{
		{"token: none", tokenEnv, "", http.StatusUnauthorized},
		{"token: wrong token", tokenEnv, "Bearer admin-secreT", http.StatusUnauthorized},
		{"token: SDK API bearer token", tokenEnv, "Bearer " + sdk, http.StatusUnauthorized},
		{"token: SMP admin token", tokenEnv, "Bearer smp-admin-secret", http.StatusUnauthorized},
		{"token: the token as a basic password", tokenEnv, basic("admin", "admin-secret"), http.StatusUnauthorized},
		{"token: right token", tokenEnv, "Bearer admin-secret", http.StatusOK},
		{"basic: none", basicEnv, "", http.StatusUnauthorized},
		{"basic: wrong password", basicEnv, basic("admin", "admin-passworD"), http.StatusUnauthorized},
		{"basic: wrong user", basicEnv, basic("root", "admin-password"), http.StatusUnauthorized},
		{"basic: the password as a bearer token", basicEnv, "Bearer admin-password", http.StatusUnauthorized},
		{"basic: SDK API bearer token", basicEnv, "Bearer " + sdk, http.StatusUnauthorized},
		{"basic: right user and password", basicEnv, basic("admin", "admin-password"), http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			book := addressbooktest.NewMemory().Book()
			seed(t, book)
			h, err := newHandler(c.env, book)
			if err != nil {
				t.Fatal(err)
			}
			e := fixture(t, "function-url-admin-put-address.json")
			delete(e.Headers, "authorization")
			if c.auth != "" {
				e.Headers["authorization"] = c.auth
			}
			resp, err := awssys.HTTPEvent(h)(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("%d, want %d: %.300s", resp.StatusCode, c.want, resp.Body)
			}
			_, lookupErr := book.Addresses.Address(context.Background(), "gbg-registrator")
			if c.want == http.StatusUnauthorized {
				if ch := resp.Headers["Www-Authenticate"]; !strings.Contains(ch, "Bearer") || !strings.Contains(ch, "Basic") {
					t.Fatalf("401 without Bearer and Basic challenges: %q", ch)
				}
				if lookupErr == nil {
					t.Fatal("refused, but the address was stored")
				}
			} else if lookupErr != nil {
				t.Fatalf("accepted, but not stored: %v", lookupErr)
			}
		})
	}
}

// The read API needs no credentials, and ignores wrong ones.
func TestReadAPIStaysPublic(t *testing.T) {
	h := handlerOn(t, addressbooktest.NewMemory().Book())
	for _, auth := range []string{"", "Bearer wrong", basic("admin", "wrong")} {
		e := fixture(t, "apigw-v2-search-organizations.json")
		if auth != "" {
			e.Headers["authorization"] = auth
		}
		resp, err := h(context.Background(), e)
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Göteborgs Stad") {
			t.Fatalf("auth %q: %v %d %.300s", auth, err, resp.StatusCode, resp.Body)
		}
	}
}

// Without admin credentials the function does not start (main: log.Fatal). Blank values
// count as missing: a token of one space would otherwise be accepted as "Bearer  ".
func TestNoAdminCredentialsNoStart(t *testing.T) {
	for _, m := range []map[string]string{
		nil,
		{envAdminToken: " "},
		{envAdminUser: "admin"},
		{envAdminPassword: "pw"},
		{envAdminUser: "admin", envAdminPassword: " "},
		{envAdminUser: " ", envAdminPassword: "pw"},
	} {
		if _, err := newHandler(awssys.MapEnv(m), addressbooktest.NewMemory().Book()); err == nil {
			t.Errorf("%v: handler without usable admin credentials", m)
		}
	}
}
