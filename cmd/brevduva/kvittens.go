package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/internal/demopki"
)

func init() {
	register("kvittens", "answer an XHE with a signed Meddelandekvittens (kvittens --for XHE.xml)", runKvittens)
}

const kvittensUsage = "usage: brevduva kvittens --key K --cert C --for XHE.xml [--reject CODE:DETAIL:TEXT] --out RECEIPT.xml"

func runKvittens(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kvittens", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyF, certF := fs.String("key", "", "signing key (PEM)"), fs.String("cert", "", "signing certificate (PEM)")
	forF, rejF := fs.String("for", "", "the XHE being answered"), fs.String("reject", "", "REJECTED with CODE:DETAIL:TEXT (CODE SV|BV|SIG)")
	out := fs.String("out", "", "output XHE with the receipt")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || *keyF == "" || *certF == "" || *forF == "" || *out == "" {
		fmt.Fprintln(stderr, kvittensUsage)
		return 2
	}
	var rej *kvittens.Rejection
	var line kvittens.Line
	if *rejF != "" {
		parts := strings.SplitN(*rejF, ":", 3)
		if len(parts) != 3 || (parts[0] != "SV" && parts[0] != "BV" && parts[0] != "SIG") || parts[1] == "" || parts[2] == "" {
			fmt.Fprintln(stderr, "brevduva kvittens: --reject wants CODE:DETAIL:TEXT with CODE SV, BV or SIG")
			return 2
		}
		rej = &kvittens.Rejection{Reason: kvittens.Reason(parts[0]), Detail: kvittens.Detail(parts[1])}
		line = kvittens.Line{LineID: kvittens.LineNA, Reason: rej.Reason, Code: parts[1], Text: parts[2]}
	}
	key, err := demopki.LoadKey(*keyF)
	if err != nil {
		return fail(stderr, "kvittens", err, 2)
	}
	cert, err := loadCert(*certF)
	if err != nil {
		return fail(stderr, "kvittens", err, 2)
	}
	b, err := os.ReadFile(*forF)
	if err != nil {
		return fail(stderr, "kvittens", err, 2)
	}
	_, env, err := xhe.ParseBytes(b)
	if err != nil {
		return rejected(stderr, "kvittens", err)
	}
	if env.Criterion(xhe.DocumentID) == xhe.DocIDReceipt {
		fmt.Fprintln(stderr, "brevduva kvittens: the XHE carries a receipt; a receipt is never answered (no receipt sent)")
		return 1
	}
	id := "KVT-" + uuid4()
	r := kvittens.New(id, time.Now(), env.ID, env.From, env.To, rej)
	if rej != nil {
		r.Lines = []kvittens.Line{line} // TEXT as StatusReason, DETAIL as StatusReasonCode
	}
	s := &o2o.Sealer{Key: key, Cert: cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	x, err := s.SealReceipt(r, env.HandlingServiceID)
	if err != nil {
		return rejected(stderr, "kvittens", err)
	}
	if err := os.WriteFile(*out, x, 0o644); err != nil {
		return fail(stderr, "kvittens", err, 1)
	}
	fmt.Fprintf(stdout, "kvittens %s %s for message %s: %s\n", id, r.Code, env.ID, *out)
	return 0
}

// uuid4 returns a random RFC 4122 version 4 UUID.
func uuid4() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("internal error: crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
