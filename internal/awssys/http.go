package awssys

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// HTTPEvent adapts h to API Gateway HTTP API v2 and Function URL events (payload format
// 2.0, buffered invoke mode; the two share one JSON shape). lambdaurl.Wrap is not used:
// it serves only RESPONSE_STREAM Function URLs, and API Gateway cannot invoke those. The
// response body is base64 unless it is valid UTF-8 text.
func HTTPEvent(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := Request(ctx, e)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: "bad request\n"}, nil
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		resp := events.APIGatewayV2HTTPResponse{StatusCode: w.Code, Headers: map[string]string{}}
		for k, vs := range w.Header() {
			if k == "Set-Cookie" {
				resp.Cookies = append(resp.Cookies, vs...)
				continue
			}
			resp.Headers[k] = strings.Join(vs, ",")
		}
		b := w.Body.Bytes()
		if utf8.Valid(b) && textual(w.Header().Get("Content-Type")) {
			resp.Body = string(b)
		} else {
			resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
		}
		return resp, nil
	}
}

func textual(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml")
}

// Request turns a payload format 2.0 event into an *http.Request.
func Request(ctx context.Context, e events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(e.Body)
	if e.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(e.Body); err != nil {
			return nil, fmt.Errorf("awssys: event body: %w", err)
		}
	}
	path := e.RawPath
	if path == "" {
		path = "/"
	}
	u := path
	if e.RawQueryString != "" {
		u += "?" + e.RawQueryString
	}
	method := e.RequestContext.HTTP.Method
	if method == "" {
		return nil, errors.New("awssys: event without method")
	}
	r, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("awssys: event: %w", err)
	}
	for k, v := range e.Headers {
		r.Header.Set(k, v)
	}
	if len(e.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(e.Cookies, "; "))
	}
	r.Host = e.RequestContext.DomainName
	r.RemoteAddr = e.RequestContext.HTTP.SourceIP
	r.RequestURI = u
	r.ContentLength = int64(len(body))
	return r, nil
}

// ServeHTTP runs h under the Lambda runtime when AWS_LAMBDA_RUNTIME_API is set, else as a
// plain HTTP server on BREVDUVA_LISTEN (default 127.0.0.1:8080): one handler, two runtimes.
func ServeHTTP(env Env, h http.Handler) error {
	if env.get(EnvRuntimeAPI) != "" {
		lambda.Start(HTTPEvent(h))
		return nil
	}
	addr := env.get(EnvListen)
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
