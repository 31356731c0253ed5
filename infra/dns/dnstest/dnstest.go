// Package dnstest runs a real DNS server (github.com/miekg/dns) on 127.0.0.1 for tests
// and the CLI's script tests: authoritative answers for the NAPTR, CNAME and A records
// added to it, NXDOMAIN for every other name.
package dnstest

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/brevduva/brevduva/core/bdxl"
)

// Server is a running DNS server. Close stops it.
type Server struct {
	Addr string // 127.0.0.1:port (UDP and TCP)

	mu      sync.Mutex
	records map[string][]mdns.RR // lower-cased FQDN → records
	delay   time.Duration
	queries atomic.Int64

	udp, tcp *mdns.Server
}

// Start listens on 127.0.0.1 on a free port (UDP and TCP) and serves until Close.
func Start() (*Server, error) {
	pc, ln, err := listenPair()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: pc.LocalAddr().String(), records: map[string][]mdns.RR{}}
	var wg sync.WaitGroup
	wg.Add(2)
	s.udp = &mdns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: wg.Done}
	s.tcp = &mdns.Server{Listener: ln, Handler: s, NotifyStartedFunc: wg.Done}
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	wg.Wait()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	return errorsJoin(s.udp.Shutdown(), s.tcp.Shutdown())
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Queries returns how many queries were answered.
func (s *Server) Queries() int64 { return s.queries.Load() }

// SetDelay makes every answer wait d (for timeout tests).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *Server) add(rr mdns.RR) {
	k := strings.ToLower(rr.Header().Name)
	s.mu.Lock()
	s.records[k] = append(s.records[k], rr)
	s.mu.Unlock()
}

func hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: mdns.Fqdn(name), Rrtype: t, Class: mdns.ClassINET, Ttl: 60}
}

// AddNAPTR publishes r at name.
func (s *Server) AddNAPTR(name string, r bdxl.NAPTR) {
	repl := r.Replacement
	if repl == "" {
		repl = "."
	}
	s.add(&mdns.NAPTR{Hdr: hdr(name, mdns.TypeNAPTR), Order: r.Order, Preference: r.Preference,
		Flags: r.Flags, Service: r.Service, Regexp: r.Regexp, Replacement: mdns.Fqdn(repl)})
}

// AddCNAME publishes a CNAME from name to target.
func (s *Server) AddCNAME(name, target string) {
	s.add(&mdns.CNAME{Hdr: hdr(name, mdns.TypeCNAME), Target: mdns.Fqdn(target)})
}

// AddA publishes an A (IPv4) or AAAA (IPv6) record.
func (s *Server) AddA(name string, ip netip.Addr) {
	if ip.Is4() {
		s.add(&mdns.A{Hdr: hdr(name, mdns.TypeA), A: ip.AsSlice()})
		return
	}
	s.add(&mdns.AAAA{Hdr: hdr(name, mdns.TypeAAAA), AAAA: ip.AsSlice()})
}

// ServeDNS answers from the records: the records of the asked type, or a CNAME at the
// name (RFC 1034 §3.6.2) for other types; NXDOMAIN for unknown names.
func (s *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	s.queries.Add(1)
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	delay := s.delay
	if len(req.Question) == 1 {
		q := req.Question[0]
		rrs, ok := s.records[strings.ToLower(q.Name)]
		if !ok {
			m.Rcode = mdns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if len(m.Answer) == 0 {
			for _, rr := range rrs {
				if rr.Header().Rrtype == mdns.TypeCNAME {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
	} else {
		m.Rcode = mdns.RcodeFormatError
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if w.LocalAddr().Network() == "udp" {
		size := mdns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size) // sets TC, so the client retries over TCP
	}
	_ = w.WriteMsg(m)
}

// listenPair opens UDP and TCP listeners on the same free 127.0.0.1 port. The kernel picks
// the UDP port; its TCP twin may belong to another process (tests of other packages run
// in parallel), so a few fresh ports are tried before giving up.
func listenPair() (net.PacketConn, net.Listener, error) {
	var last error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("dnstest: listen udp: %w", err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		last = err
	}
	return nil, nil, fmt.Errorf("dnstest: listen tcp: %w", last)
}
