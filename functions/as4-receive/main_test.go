package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/internal/awssys"
)

// receiver records what the handler hands to the engine and answers like one.
type receiver struct {
	tenant, ct string
	body       []byte
}

func (r *receiver) Receive(_ context.Context, tenant, ct string, body io.Reader) (msh.AS4Response, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return msh.AS4Response{}, err
	}
	r.tenant, r.ct, r.body = tenant, ct, b
	return msh.AS4Response{Status: http.StatusOK, ContentType: "application/soap+xml; charset=UTF-8", Body: []byte("<receipt/>")}, nil
}

func invoke(t *testing.T, r *receiver, e events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	h, err := awssys.NewAS4Handler(r, "kommun-b", pmode.EDelivery115(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := awssys.HTTPEvent(h)(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestFixturesReachEngine(t *testing.T) {
	for _, name := range []string{"function-url-as4.json", "apigw-v2-as4.json"} {
		t.Run(name, func(t *testing.T) {
			e := fixture(t, name)
			want, _ := base64.StdEncoding.DecodeString(e.Body)
			r := &receiver{}
			resp := invoke(t, r, e)
			if resp.StatusCode != http.StatusOK || resp.Body != "<receipt/>" || resp.IsBase64Encoded {
				t.Fatalf("response %d %q base64=%v", resp.StatusCode, resp.Body, resp.IsBase64Encoded)
			}
			if got := resp.Headers["Content-Type"]; got != "application/soap+xml; charset=UTF-8" {
				t.Errorf("content type %q", got)
			}
			if r.tenant != "kommun-b" || !strings.HasPrefix(r.ct, "multipart/related; boundary=b1") || !bytes.Equal(r.body, want) {
				t.Errorf("engine got tenant %q, type %q, %d bytes (want %d)", r.tenant, r.ct, len(r.body), len(want))
			}
		})
	}
}

func TestGetIsRefused(t *testing.T) {
	r := &receiver{}
	resp := invoke(t, r, fixture(t, "function-url-get.json"))
	if resp.StatusCode != http.StatusMethodNotAllowed || r.ct != "" {
		t.Fatalf("status %d, engine called: %v", resp.StatusCode, r.ct != "")
	}
}

// A body over the buffered-invocation limit is an ebMS error signal (EBMS:0004, HTTP
// 413), and never reaches the engine.
func TestTooLargeIsEBMSError(t *testing.T) {
	for _, declared := range []bool{true, false} {
		e := fixture(t, "function-url-as4.json")
		big := bytes.Repeat([]byte("x"), awssys.MaxBufferedBody+1)
		e.Body, e.IsBase64Encoded = string(big), false
		if !declared {
			delete(e.Headers, "content-length")
		}
		r := &receiver{}
		resp := invoke(t, r, e)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !strings.Contains(resp.Body, "EBMS:0004") || !strings.Contains(resp.Body, "message too large") {
			t.Errorf("body %.300s", resp.Body)
		}
		if len(r.body) != 0 {
			t.Error("engine saw the body")
		}
	}
}
