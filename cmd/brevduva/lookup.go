package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/internal/demopki"
)

func init() {
	register("lookup", "find a participant's AP and certificates via SML DNS and SMP (lookup --zone Z PARTICIPANT)", runLookup)
}

const lookupUsage = `usage: brevduva lookup --zone ZONE [--mode bdxl|peppol] [--hash-scheme] [--dns HOST:PORT]
                       [--smp-ca FILE] [--ap-ca FILE] [--profile ID] [--timeout 10s]
                       PARTICIPANT [--doctype ID] [--dns-name-only]

PARTICIPANT is "iso6523-actorid-upis::0203:x" or just "0203:x" (the scheme defaults to
iso6523-actorid-upis). --doctype defaults to the SDK message document id; a doctype
without "busdox-docid-qns::" gets that scheme. --dns-name-only prints the DNS name that
would be queried and stops. Otherwise --smp-ca (PEM, the environment's SMP CA) is
required, and the result is printed as JSON. --dns defaults to the first nameserver in
/etc/resolv.conf; SMP host names are resolved through the same server.
Exit status: 0 found, 1 lookup failed (not found, bad signature, no endpoint), 2 usage.
`

// parseLookupArgs parses flags placed before and after positional arguments.
func parseLookupArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

type certJSON struct {
	Use       string    `json:"use,omitempty"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
}

func certInfo(use string, c *x509.Certificate) certJSON {
	return certJSON{Use: use, Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
}

type lookupJSON struct {
	Participant      string     `json:"participant"`
	Document         string     `json:"document"`
	DNSName          string     `json:"dnsName"`
	SMPURL           string     `json:"smpUrl"`
	SMPSigner        string     `json:"smpSigner"`
	EndpointURL      string     `json:"endpointUrl"`
	TransportProfile string     `json:"transportProfile"`
	APCertificate    certJSON   `json:"apCertificate"`
	O2OCertificates  []certJSON `json:"o2oCertificates"`
	O2OError         string     `json:"o2oError,omitempty"`
}

func runLookup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	zone := fs.String("zone", "", "SML zone, e.g. acc.edelivery.tech.ec.europa.eu")
	mode := fs.String("mode", string(bdxl.DefaultMode), "bdxl (U-NAPTR) or peppol (CNAME)")
	hashScheme := fs.Bool("hash-scheme", false, "hash scheme::value instead of the value (spec-facts §k 4)")
	server := fs.String("dns", "", "DNS server HOST:PORT")
	smpCA := fs.String("smp-ca", "", "PEM file with the SMP CA certificates")
	apCA := fs.String("ap-ca", "", "PEM file with the AP CA certificates (optional check)")
	profile := fs.String("profile", string(smp.TransportProfileSDK), "transport profile")
	doctype := fs.String("doctype", smp.DocumentSDKMessage, "document identifier")
	nameOnly := fs.Bool("dns-name-only", false, "print the DNS name and stop")
	timeout := fs.Duration("timeout", 10*time.Second, "overall timeout")
	pos, err := parseLookupArgs(fs, args)
	if err != nil || len(pos) != 1 || *zone == "" || (*mode != string(bdxl.ModeBDXL) && *mode != string(bdxl.ModePeppol)) {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		}
		fmt.Fprint(stderr, lookupUsage)
		return 2
	}
	participant, err := smp.ParseParticipant(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: participant: %v\n", err)
		return 2
	}
	document, err := smp.ParseDocument(*doctype)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: doctype: %v\n", err)
		return 2
	}
	cfg := bdxl.Config{Zone: *zone, Mode: bdxl.Mode(*mode), HashScheme: *hashScheme}
	name, err := cfg.Name(participant.Scheme, participant.Value)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		return 2
	}
	if *nameOnly {
		fmt.Fprintln(stdout, name)
		return 0
	}
	if *smpCA == "" {
		fmt.Fprintln(stderr, "brevduva lookup: --smp-ca is required (the SMP signature is always verified)")
		return 2
	}
	smpRoots, err := certPool(*smpCA)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: --smp-ca: %v\n", err)
		return 2
	}
	var apRoots *x509.CertPool
	if *apCA != "" {
		if apRoots, err = certPool(*apCA); err != nil {
			fmt.Fprintf(stderr, "brevduva lookup: --ap-ca: %v\n", err)
			return 2
		}
	}
	if *server == "" {
		if *server, err = dns.SystemServer(); err != nil {
			fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
			return 2
		}
	}
	res, err := dns.New(*server)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: --dns: %v\n", err)
		return 2
	}
	httpClient := &http.Client{Transport: &http.Transport{DialContext: res.DialContext, TLSHandshakeTimeout: 10 * time.Second}}
	client, err := smp.NewClient(httpClient, smp.ClientOptions{Verify: smp.VerifyOptions{Roots: smpRoots, Now: time.Now}, Timeout: *timeout})
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		return 2
	}
	d, err := discovery.New(discovery.Options{
		Locator: bdxl.Locator{Config: cfg, Resolver: res}, SMP: client, Now: time.Now,
		TransportProfile: smp.TransportProfile(*profile), APRoots: apRoots,
	})
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r, err := d.Lookup(ctx, participant, document)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		return 1
	}
	out := lookupJSON{
		Participant: r.Participant.String(), Document: r.Document.String(), DNSName: r.DNSName,
		SMPURL: r.SMPURL.String(), SMPSigner: r.SMPSigner.Subject.String(), EndpointURL: r.EndpointURL,
		TransportProfile: string(r.TransportProfile), APCertificate: certInfo("", r.APCertificate),
		O2OCertificates: []certJSON{},
	}
	for _, c := range r.O2O {
		use := "signing"
		if c.Use == certpub.Encryption {
			use = "encryption"
		}
		out.O2OCertificates = append(out.O2OCertificates, certInfo(use, c.Cert))
	}
	if r.O2OErr != nil {
		out.O2OError = r.O2OErr.Error()
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "brevduva lookup: %v\n", err)
		return 1
	}
	return 0
}

func certPool(path string) (*x509.CertPool, error) {
	certs, err := demopki.LoadCerts(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p, nil
}
