package localsys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/sdkapi"
)

// TestLoad runs concurrent senders through the real local system: each sender is a
// client of tenant A or B that submits messages through the SDK API to a function
// address of the other tenant; every message crosses AS4 over mutual TLS, is opened and
// delivered, and its Meddelandekvittens returns. It proves none lost and none duplicated:
// every submitted message reaches ACCEPTED exactly once (one ACCEPTED event, no failure
// state) and sits exactly once in the recipient's mailbox, which holds nothing else.
//
// The default size is small (a few seconds under -race). A bigger run:
//
//	BREVDUVA_LOAD=16x25 go test -run TestLoad -v -count 1 ./internal/localsys
//
// (senders × messages per sender); the figures it logs are in BENCHMARKS.md.
func TestLoad(t *testing.T) {
	senders, per := 4, 3
	if v := os.Getenv("BREVDUVA_LOAD"); v != "" {
		if _, err := fmt.Sscanf(v, "%dx%d", &senders, &per); err != nil || senders < 1 || per < 1 {
			t.Fatalf("BREVDUVA_LOAD=%q: want SENDERSxPER", v)
		}
	}
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	toks := []string{token(t, d, 0), token(t, d, 1)}
	parts := []string{DemoParticipantA, DemoParticipantB}
	const box = "socialtjansten"
	total := senders * per
	deadline := time.Now().Add(30*time.Second + time.Duration(total)*500*time.Millisecond)

	type sub struct {
		id   string
		from int
		at   time.Time
	}
	var (
		mu   sync.Mutex
		subs []sub
		errs []error
		wg   sync.WaitGroup
	)
	begin := time.Now()
	for i := range senders {
		wg.Go(func() {
			from := i % 2
			for j := range per {
				body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
					"confidentiality": false, "label": fmt.Sprintf("Last %d/%d", i, j), "sender": parts[from], "recipient": parts[1-from],
					"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": box}},
					"digitalDocument": []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"last"},
						"contentFiles": []any{map[string]any{"fileName": "a.pdf", "contentType": "application/pdf", "content": pdf}}}}}}}
				at := time.Now()
				var doc sdkapi.Document[sdkapi.Resource]
				err := doJSON("POST", d.SDKAPIBaseURL+"/sdk/messages", toks[from], body, http.StatusCreated, &doc)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("sender %d message %d: %w", i, j, err))
				} else {
					subs = append(subs, sub{doc.Data.ID, from, at})
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d submissions failed, first: %v", len(errs), errs[0])
	}
	submitted := time.Since(begin)

	// Wait until every message is ACCEPTED (listing each tenant's outbox, page by page).
	for {
		accepted := 0
		for from := range 2 {
			ids, err := listIDs(d.SDKAPIBaseURL, "/sdk/messages?filter%5BmessageStatus%5D=ACCEPTED&page%5Bsize%5D=100", toks[from])
			if err != nil {
				t.Fatal(err)
			}
			accepted += len(ids)
		}
		if accepted == total {
			break
		}
		if accepted > total {
			t.Fatalf("%d ACCEPTED of %d submitted", accepted, total)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d ACCEPTED by the deadline", accepted, total)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each message: one ACCEPTED event and no failure on the way; latency from the
	// client's submit to the ACCEPTED event.
	lat := make([]time.Duration, 0, total)
	var last time.Time
	for _, m := range subs {
		var doc sdkapi.Document[sdkapi.Resource]
		if err := doJSON("GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(m.id), toks[m.from], nil, http.StatusOK, &doc); err != nil {
			t.Fatal(err)
		}
		a := doc.Data.Attributes
		n := 0
		var acc time.Time
		for _, e := range a.Events {
			switch e.MessageStatus {
			case "ACCEPTED":
				n++
				acc, _ = time.Parse(time.RFC3339Nano, e.DateTime)
			case "REJECTED", "MESSAGE_EXCHANGE_ERROR", "ERROR", "SCHEDULED_FOR_RESEND":
				t.Errorf("%s: %s on the way: %+v", m.id, e.MessageStatus, a.Events)
			}
		}
		if a.MessageStatus != "ACCEPTED" || n != 1 {
			t.Fatalf("%s: status %s, %d ACCEPTED events", m.id, a.MessageStatus, n)
		}
		lat = append(lat, acc.Sub(m.at.Truncate(time.Millisecond)))
		if acc.After(last) {
			last = acc
		}
	}

	// Mailboxes: each message exactly once, in the recipient's box, and nothing else.
	for to := range 2 {
		ids, err := listIDs(d.SDKAPIBaseURL, "/sdk/mailboxes/"+box+"/messages?page%5Bsize%5D=100", toks[to])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for _, m := range subs {
			if 1-m.from == to {
				want[m.id] = 1
			}
		}
		got := map[string]int{}
		for _, id := range ids {
			got[id]++
		}
		for id, n := range got {
			if want[id] != n {
				t.Errorf("tenant %d mailbox: %s present %d times, want %d", to, id, n, want[id])
			}
		}
		for id := range want {
			if got[id] == 0 {
				t.Errorf("tenant %d mailbox: %s lost", to, id)
			}
		}
	}
	slices.Sort(lat)
	span := last.Sub(begin)
	t.Logf("%d senders × %d = %d messages: submitted in %v; all ACCEPTED after %v (%.1f msg/s); submit→ACCEPTED p50 %v p99 %v max %v",
		senders, per, total, submitted.Round(time.Millisecond), span.Round(time.Millisecond), float64(total)/span.Seconds(),
		pct(lat, 50), pct(lat, 99), lat[len(lat)-1])
}

// pct is the p-th percentile (nearest rank) of sorted ds.
func pct(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100
	return ds[max(i-1, 0)]
}

// doJSON makes one SDK API call (safe from any goroutine) and decodes the answer.
func doJSON(method, u, tok string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", sdkapi.MediaType)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %.300s", method, u, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// listIDs follows a list's next links and returns every resource id.
func listIDs(base, path, tok string) ([]string, error) {
	b, err := url.Parse(base + path)
	if err != nil {
		return nil, err
	}
	var ids []string
	for next := b.String(); next != ""; {
		ref, err := url.Parse(next)
		if err != nil {
			return nil, err
		}
		var doc sdkapi.Document[[]sdkapi.Resource]
		if err := doJSON("GET", b.ResolveReference(ref).String(), tok, nil, http.StatusOK, &doc); err != nil {
			return nil, err
		}
		for _, r := range doc.Data {
			ids = append(ids, r.ID)
		}
		next = ""
		if doc.Links != nil {
			next = doc.Links.Next
		}
		if len(ids) > 100000 {
			return nil, fmt.Errorf("list %s: runaway paging", path)
		}
	}
	return ids, nil
}
