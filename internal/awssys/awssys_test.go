package awssys

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestRequestMapsEvent(t *testing.T) {
	e := events.APIGatewayV2HTTPRequest{RawPath: "/sdk-api/v1/messages", RawQueryString: "status=SENT&limit=2",
		Headers: map[string]string{"authorization": "Bearer x", "content-type": "application/json"},
		Cookies: []string{"a=1", "b=2"}, Body: "e30=", IsBase64Encoded: true}
	e.RequestContext.HTTP.Method = "POST"
	e.RequestContext.DomainName = "api.example"
	r, err := Request(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	if r.Method != "POST" || r.URL.Path != "/sdk-api/v1/messages" || r.URL.Query().Get("status") != "SENT" ||
		r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("Cookie") != "a=1; b=2" || string(b) != "{}" ||
		r.Host != "api.example" || r.ContentLength != 2 {
		t.Fatalf("request %s %s %v %q host %q", r.Method, r.URL, r.Header, b, r.Host)
	}
	e.Body = "%%%"
	if _, err := Request(context.Background(), e); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestHTTPEventBinaryAndCookies(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Add("Set-Cookie", "s=1")
		w.WriteHeader(201)
		_, _ = w.Write([]byte{0xff, 0x00})
	})
	e := events.APIGatewayV2HTTPRequest{RawPath: "/"}
	e.RequestContext.HTTP.Method = "GET"
	resp, _ := HTTPEvent(h)(context.Background(), e)
	if resp.StatusCode != 201 || !resp.IsBase64Encoded || resp.Body != "/wA=" || len(resp.Cookies) != 1 {
		t.Fatalf("%+v", resp)
	}
	e.RequestContext.HTTP.Method = ""
	if resp, _ := HTTPEvent(h)(context.Background(), e); resp.StatusCode != 400 {
		t.Fatalf("no method: %d", resp.StatusCode)
	}
}

func TestNewReportsEveryMissingVariable(t *testing.T) {
	_, err := New(context.Background(), MapEnv(map[string]string{EnvTenant: "kommun-a"}), nil, slog.New(slog.DiscardHandler))
	if !errors.Is(err, ErrMissing) {
		t.Fatal(err)
	}
	for _, v := range []string{EnvTable, EnvBucket, EnvQueueURL, EnvAS4Key, EnvAS4Cert, EnvAPTrust} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("%s not reported: %v", v, err)
		}
	}
	if _, err := NewClients(MapEnv(nil)); !errors.Is(err, ErrMissing) {
		t.Errorf("clients without region: %v", err)
	}
}

func TestDurationEnv(t *testing.T) {
	if d, err := durationEnv(MapEnv(nil), EnvReceiptTimeout); d != 0 || err != nil {
		t.Errorf("unset: %v %v", d, err)
	}
	if d, err := durationEnv(MapEnv(map[string]string{EnvReceiptTimeout: "72h"}), EnvReceiptTimeout); d != 72*time.Hour || err != nil {
		t.Errorf("72h: %v %v", d, err)
	}
	for _, v := range []string{"soon", "-1h", "0"} {
		if _, err := durationEnv(MapEnv(map[string]string{EnvReceiptTimeout: v}), EnvReceiptTimeout); err == nil || !strings.Contains(err.Error(), EnvReceiptTimeout) {
			t.Errorf("%q: %v", v, err)
		}
	}
}
