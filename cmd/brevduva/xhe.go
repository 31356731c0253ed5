package main

import (
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/internal/demopki"
)

func init() {
	register("xhe", "seal, open or verify an O2O-signed and encrypted XHE (xhe seal|open|verify)", runXHE)
}

const xheUsage = `usage:
  brevduva xhe seal --key K --cert C --recipient-cert RC --function ADDRESS MESSAGE.xml --out XHE.xml
  brevduva xhe open --key K --cert C --trust CAFILE [--sender-cert SC] [--at RFC3339] XHE.xml --out MESSAGE.xml
  brevduva xhe verify --trust CAFILE [--sender-cert SC] [--at RFC3339] XHE.xml`

func runXHE(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, xheUsage)
		return 2
	}
	switch args[0] {
	case "seal":
		return xheSeal(args[1:], stdout, stderr)
	case "open":
		return xheOpen(args[1:], stdout, stderr)
	case "verify":
		return xheVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, xheUsage)
	return 2
}

func loadCert(path string) (*x509.Certificate, error) {
	cs, err := demopki.LoadCerts(path)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

func xheSeal(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xhe seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyF, certF := fs.String("key", "", "sender key (PEM)"), fs.String("cert", "", "sender certificate (PEM)")
	rcF, fn := fs.String("recipient-cert", "", "recipient certificate (PEM)"), fs.String("function", "", "recipient function address (HandlingServiceID)")
	out := fs.String("out", "", "output XHE")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *keyF == "" || *certF == "" || *rcF == "" || *fn == "" || *out == "" {
		fmt.Fprintln(stderr, xheUsage)
		return 2
	}
	key, err := demopki.LoadKey(*keyF)
	if err != nil {
		return fail(stderr, "xhe seal", err, 2)
	}
	cert, err := loadCert(*certF)
	if err != nil {
		return fail(stderr, "xhe seal", err, 2)
	}
	rc, err := loadCert(*rcF)
	if err != nil {
		return fail(stderr, "xhe seal", err, 2)
	}
	msg, err := os.ReadFile(pos[0])
	if err != nil {
		return fail(stderr, "xhe seal", err, 2)
	}
	s := &o2o.Sealer{Key: key, Cert: cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	b, err := s.Seal(msg, rc, *fn)
	if err != nil {
		return fail(stderr, "xhe seal", err, 1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fail(stderr, "xhe seal", err, 1)
	}
	fmt.Fprintf(stdout, "sealed %s for %s, function %s: %s\n", pos[0], rc.Subject.CommonName, *fn, *out)
	return 0
}

// senderFlags are the trust flags of open and verify.
type senderFlags struct{ trust, senderCert, at *string }

func addSenderFlags(fs *flag.FlagSet) senderFlags {
	return senderFlags{
		trust:      fs.String("trust", "", "CA certificates (PEM) the signer must chain to"),
		senderCert: fs.String("sender-cert", "", "the sender's CertPub certificate (PEM): the signer must be exactly it"),
		at:         fs.String("at", "", "verification time, RFC 3339 (default now)"),
	}
}

func (f senderFlags) load() (o2o.Sender, func() time.Time, error) {
	now := time.Now
	if *f.at != "" {
		t, err := time.Parse(time.RFC3339, *f.at)
		if err != nil {
			return o2o.Sender{}, nil, fmt.Errorf("--at: %w", err)
		}
		now = func() time.Time { return t }
	}
	var s o2o.Sender
	if *f.trust == "" && *f.senderCert == "" {
		return s, nil, errors.New("--trust (or --sender-cert) is required")
	}
	if *f.trust != "" {
		cas, err := demopki.LoadCerts(*f.trust)
		if err != nil {
			return s, nil, err
		}
		s.Trust = trust.NewStore(cas, now)
	}
	if *f.senderCert != "" {
		c, err := loadCert(*f.senderCert)
		if err != nil {
			return s, nil, err
		}
		s.Cert = c
	}
	return s, now, nil
}

func xheOpen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xhe open", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyF, certF := fs.String("key", "", "recipient key (PEM)"), fs.String("cert", "", "recipient certificate (PEM)")
	sf := addSenderFlags(fs)
	out := fs.String("out", "", "output SDK message")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *keyF == "" || *certF == "" || *out == "" {
		fmt.Fprintln(stderr, xheUsage)
		return 2
	}
	sender, now, err := sf.load()
	if err != nil {
		return fail(stderr, "xhe open", err, 2)
	}
	key, err := demopki.LoadKey(*keyF)
	if err != nil {
		return fail(stderr, "xhe open", err, 2)
	}
	dec, ok := key.(crypto.Decrypter)
	if !ok {
		return fail(stderr, "xhe open", fmt.Errorf("key %T cannot decrypt", key), 2)
	}
	cert, err := loadCert(*certF)
	if err != nil {
		return fail(stderr, "xhe open", err, 2)
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fail(stderr, "xhe open", err, 2)
	}
	op := &o2o.Opener{Decrypter: dec, Cert: cert, Profile: o2o.DIGGProfile(), Now: now}
	res, err := op.Open(b, sender)
	if err != nil {
		return rejected(stderr, "xhe open", err)
	}
	if err := os.WriteFile(*out, res.MessageXML, 0o644); err != nil {
		return fail(stderr, "xhe open", err, 1)
	}
	fmt.Fprintf(stdout, "opened message %s from %s (signer %s): %s\n", res.Message.MessageID, res.Message.Sender.ID, res.Signer.Subject.CommonName, *out)
	return 0
}

func xheVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xhe verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSenderFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, xheUsage)
		return 2
	}
	sender, now, err := sf.load()
	if err != nil {
		return fail(stderr, "xhe verify", err, 2)
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fail(stderr, "xhe verify", err, 2)
	}
	v, err := o2o.Verify(b, sender, o2o.DIGGProfile(), now())
	if err != nil {
		return rejected(stderr, "xhe verify", err)
	}
	fmt.Fprintf(stdout, "%s: signature OK, signer %s\n", pos[0], v.Signer.Subject.String())
	return 0
}

func fail(stderr io.Writer, cmd string, err error, code int) int {
	fmt.Fprintf(stderr, "brevduva %s: %v\n", cmd, err)
	return code
}

// rejected reports a failure with its receipt verdict when it has one.
func rejected(stderr io.Writer, cmd string, err error) int {
	var r *kvittens.Rejection
	if errors.As(err, &r) {
		cause := err
		if err == error(r) && r.Err != nil {
			cause = r.Err // avoid repeating "rejected R/D"
		}
		fmt.Fprintf(stderr, "brevduva %s: REJECTED %s/%s: %v\n", cmd, r.Reason, r.Detail, cause)
		for _, v := range r.Violations {
			fmt.Fprintln(stderr, "  "+v.String())
		}
		return 1
	}
	return fail(stderr, cmd, err, 1)
}
