package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/infra/local"
)

func init() {
	register("audit", "search, verify and prune the audit trail (audit search|verify|prune)", runAudit)
}

const auditUsage = `usage: brevduva audit search (--db FILE --tenant T | --url BASE --token TOKEN)
                            [--message-id ID] [--conversation-id ID] [--party P]
                            [--from RFC3339] [--to RFC3339]
       brevduva audit verify (--db FILE --tenant T | --url BASE --token TOKEN) [--anchor SEQ:HASH]...
       brevduva audit prune  --db FILE --tenant T [--retention-months 12] [--at RFC3339]

--db is the local system's audit file (DATA/audit.db; only while brevduva serve is not
running: bbolt takes a lock). --url is the audit API of a running system
(http://localhost:18080/audit/v1) with a token of scope urn:brevduva:api:audit, whose
tenant is searched. search prints one JSON entry per line (message ids, parties, AP ids,
certificate fingerprints, states: never content). verify prints the result with the head
anchor to keep ("seq:hash"); an --anchor from an earlier run detects a rewritten or
truncated chain. prune removes entries older than the retention and keeps the chain
verifiable (a checkpoint named in the chain); --at prunes as of that time (default now).
Exit status: 0 ok, 1 the chain is broken, 2 usage or an unreadable store.
`

// auditSource is where a command reads the trail: the file or the HTTP API.
type auditSource interface {
	search(ctx context.Context, f audit.Filter) (entries []audit.View, next uint64, err error)
	verify(ctx context.Context, anchors []audit.Anchor) (audit.VerifyView, error)
}

type auditFlags struct {
	db, tenant, url, token string
}

func (f *auditFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "", "the audit bbolt file")
	fs.StringVar(&f.tenant, "tenant", "", "tenant id (with --db)")
	fs.StringVar(&f.url, "url", "", "audit API base URL")
	fs.StringVar(&f.token, "token", "", "bearer token (with --url)")
}

func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "search":
		return auditSearch(args[1:], stdout, stderr)
	case "verify":
		return auditVerify(args[1:], stdout, stderr)
	case "prune":
		return auditPrune(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "brevduva audit: unknown command %q\n%s", args[0], auditUsage)
	return 2
}

func auditFail(stderr io.Writer, err error, code int) int {
	fmt.Fprintf(stderr, "brevduva audit: %v\n", err)
	return code
}

// open returns the source the flags name; close releases it.
func (f *auditFlags) open() (src auditSource, closeFn func(), err error) {
	switch {
	case f.db != "" && f.url == "":
		if f.tenant == "" {
			return nil, nil, errors.New("--db needs --tenant")
		}
		l, closeFn, err := openAuditFile(f.db, 0, time.Now)
		if err != nil {
			return nil, nil, err
		}
		return fileSource{l: l, tenant: f.tenant}, closeFn, nil
	case f.url != "" && f.db == "":
		if f.token == "" {
			return nil, nil, errors.New("--url needs --token")
		}
		return &apiSource{base: strings.TrimSuffix(f.url, "/"), token: f.token, c: &http.Client{Timeout: time.Minute}}, func() {}, nil
	}
	return nil, nil, errors.New("give either --db or --url")
}

func openAuditFile(path string, retentionMonths int, now func() time.Time) (*audit.Log, func(), error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, err
	}
	db, err := local.OpenDB(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is brevduva serve running? use --url)", err)
	}
	l, err := audit.NewLog(audit.Options{Store: local.NewAuditStore(db), Now: now, RetentionMonths: retentionMonths})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return l, func() { db.Close() }, nil
}

func auditSearch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var af auditFlags
	af.add(fs)
	q := url.Values{}
	for _, name := range []string{"message-id", "conversation-id", "party", "from", "to"} {
		fs.Func(name, "filter: "+name, func(v string) error { q.Set(queryName(name), v); return nil })
	}
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	f, err := audit.ParseFilter(q)
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	src, closeFn, err := af.open()
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	defer closeFn()
	enc := json.NewEncoder(stdout)
	for {
		entries, next, err := src.search(context.Background(), f)
		if err != nil {
			return auditFail(stderr, err, 2)
		}
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return auditFail(stderr, err, 2)
			}
		}
		if next == 0 {
			return 0
		}
		f.After = next
	}
}

// queryName maps a flag name to the API's query parameter ("message-id" → "messageId").
func queryName(flagName string) string {
	head, tail, ok := strings.Cut(flagName, "-")
	if !ok {
		return flagName
	}
	return head + strings.ToUpper(tail[:1]) + tail[1:]
}

func auditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var af auditFlags
	af.add(fs)
	var anchors []audit.Anchor
	fs.Func("anchor", "an earlier head, seq:hash (repeatable)", func(v string) error {
		a, err := audit.ParseAnchor(v)
		anchors = append(anchors, a)
		return err
	})
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	src, closeFn, err := af.open()
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	defer closeFn()
	v, err := src.verify(context.Background(), anchors)
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	if err := json.NewEncoder(stdout).Encode(v); err != nil {
		return auditFail(stderr, err, 2)
	}
	if !v.Valid {
		fmt.Fprintf(stderr, "brevduva audit: chain of %s broken at #%d: %s\n", v.Tenant, v.BrokenAt, v.Reason)
		return 1
	}
	return 0
}

func auditPrune(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit prune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "the audit bbolt file")
	tenant := fs.String("tenant", "", "tenant id")
	months := fs.Int("retention-months", audit.DefaultRetentionMonths, "keep entries this many months (⚠U spec-facts §k 25)")
	at := fs.String("at", "", "prune as of this time (RFC 3339; default now)")
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 || *db == "" || *tenant == "" || *months < 1 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	now := time.Now
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return auditFail(stderr, fmt.Errorf("--at: %w", err), 2)
		}
		now = func() time.Time { return t }
	}
	l, closeFn, err := openAuditFile(*db, *months, now)
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	defer closeFn()
	res, err := l.Prune(context.Background(), *tenant)
	if err != nil {
		return auditFail(stderr, err, 2)
	}
	out := map[string]any{"tenant": *tenant, "pruned": res.Pruned}
	if res.Pruned > 0 {
		out["checkpoint"] = res.Checkpoint.String()
	}
	_ = json.NewEncoder(stdout).Encode(out)
	return 0
}

// fileSource reads a local audit file.
type fileSource struct {
	l      *audit.Log
	tenant string
}

func (s fileSource) search(ctx context.Context, f audit.Filter) ([]audit.View, uint64, error) {
	p, err := s.l.Search(ctx, s.tenant, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]audit.View, 0, len(p.Entries))
	for _, e := range p.Entries {
		out = append(out, audit.ViewOf(e))
	}
	return out, p.Next, nil
}

func (s fileSource) verify(ctx context.Context, anchors []audit.Anchor) (audit.VerifyView, error) {
	rep, err := s.l.Verify(ctx, s.tenant, anchors...)
	v, ok := audit.VerifyViewOf(s.tenant, rep, err)
	if !ok {
		return v, err
	}
	return v, nil
}

// apiSource reads the audit API of a running system.
type apiSource struct {
	base, token string
	c           *http.Client
}

func (s *apiSource) get(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

func (s *apiSource) search(ctx context.Context, f audit.Filter) ([]audit.View, uint64, error) {
	q := url.Values{}
	for k, v := range map[string]string{"messageId": f.MessageID, "conversationId": f.ConversationID, "party": f.Party} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.From.IsZero() {
		q.Set("from", f.From.Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.Format(time.RFC3339Nano))
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatUint(f.After, 10))
	}
	var p struct {
		Entries []audit.View `json:"entries"`
		Next    string       `json:"next"`
	}
	if err := s.get(ctx, "/entries", q, &p); err != nil {
		return nil, 0, err
	}
	var next uint64
	if p.Next != "" {
		var err error
		if next, err = strconv.ParseUint(p.Next, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("bad cursor %q", p.Next)
		}
	}
	return p.Entries, next, nil
}

func (s *apiSource) verify(ctx context.Context, anchors []audit.Anchor) (audit.VerifyView, error) {
	q := url.Values{}
	for _, a := range anchors {
		q.Add("anchor", a.String())
	}
	var v audit.VerifyView
	err := s.get(ctx, "/verify", q, &v)
	return v, err
}
