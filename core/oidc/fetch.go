package oidc

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// HTTPFetcher returns a Fetcher that GETs with c (nil: http.DefaultClient), expects 200
// and reads at most MaxDocumentBytes+1 bytes (a longer body is refused by the parsers).
func HTTPFetcher(c *http.Client) Fetcher {
	if c == nil {
		c = http.DefaultClient
	}
	return func(ctx context.Context, url string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: fetch %s: %w", url, err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("oidc: fetch %s: %w", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("oidc: fetch %s: HTTP %d", url, resp.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
		if err != nil {
			return nil, fmt.Errorf("oidc: fetch %s: %w", url, err)
		}
		return b, nil
	}
}
