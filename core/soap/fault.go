package soap

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// FaultCode is a SOAP 1.2 fault code (SOAP 1.2 Part 1 §5.4.6), the local
// name of a QName in the envelope namespace.
type FaultCode string

// SOAP 1.2 fault codes (§5.4.6).
const (
	VersionMismatch     FaultCode = "VersionMismatch"
	MustUnderstand      FaultCode = "MustUnderstand"
	DataEncodingUnknown FaultCode = "DataEncodingUnknown"
	Sender              FaultCode = "Sender"
	Receiver            FaultCode = "Receiver"
)

// QName is an expanded name: a namespace URI and a local name.
type QName struct{ Space, Local string }

// Fault is a SOAP Fault. Detail, when set, is copied into env:Detail.
type Fault struct {
	Code    FaultCode
	Subcode *QName // optional env:Subcode/env:Value (SOAP 1.2 §5.4.1.3)
	Reason  string // env:Reason/env:Text, xml:lang="en"
	Role    string // optional env:Role (§5.4.4)
	Detail  *etree.Element
}

// Error implements error so a parsed Fault can be returned as one.
func (f *Fault) Error() string {
	if f.Subcode != nil {
		return fmt.Sprintf("soap fault %s/{%s}%s: %s", f.Code, f.Subcode.Space, f.Subcode.Local, f.Reason)
	}
	return fmt.Sprintf("soap fault %s: %s", f.Code, f.Reason)
}

// Element builds the SOAP 1.2 env:Fault element (§5.4: Code, Reason, then
// optional Role and Detail, in that order) using the prefix Prefix, which the
// enclosing envelope must bind to NS12 (New does).
func (f *Fault) Element() (*etree.Element, error) {
	switch f.Code {
	case VersionMismatch, MustUnderstand, DataEncodingUnknown, Sender, Receiver:
	default:
		return nil, fmt.Errorf("soap: fault: %w: code %q is not a SOAP 1.2 fault code (§5.4.6)", ErrFault, f.Code)
	}
	p := Prefix + ":"
	fe := etree.NewElement(p + "Fault")
	code := fe.CreateElement(p + "Code")
	code.CreateElement(p + "Value").SetText(p + string(f.Code))
	if f.Subcode != nil {
		if f.Subcode.Space == "" || f.Subcode.Local == "" {
			return nil, fmt.Errorf("soap: fault: %w: subcode needs a namespace and a local name", ErrFault)
		}
		v := code.CreateElement(p + "Subcode").CreateElement(p + "Value")
		v.CreateAttr("xmlns:sc", f.Subcode.Space)
		v.SetText("sc:" + f.Subcode.Local)
	}
	text := fe.CreateElement(p + "Reason").CreateElement(p + "Text")
	text.CreateAttr("xml:lang", "en") // §5.4.2.1: xml:lang is required on Text
	text.SetText(f.Reason)
	if f.Role != "" {
		fe.CreateElement(p + "Role").SetText(f.Role)
	}
	if f.Detail != nil {
		fe.CreateElement(p + "Detail").AddChild(f.Detail.Copy())
	}
	return fe, nil
}

// NewFault returns a SOAP 1.2 envelope whose Body holds f.
func NewFault(f *Fault) (*Envelope, error) {
	fe, err := f.Element()
	if err != nil {
		return nil, err
	}
	env := New()
	env.Body.AddChild(fe)
	return env, nil
}

// Fault returns the Fault in the Body, or ErrNotFound. Both SOAP 1.2
// (§5.4) and SOAP 1.1 (§4.4: faultcode, faultstring) faults are read; a 1.1
// faultcode "Client"/"Server" maps to Sender/Receiver.
func (e *Envelope) Fault() (*Fault, error) {
	fe := xmlsafe.Children(e.Body, e.Version, "Fault")
	switch len(fe) {
	case 0:
		return nil, fmt.Errorf("soap: fault: %w", ErrNotFound)
	case 1:
	default:
		return nil, fmt.Errorf("soap: fault: %w", ErrAmbiguous)
	}
	if e.Version == NS11 {
		return parseFault11(fe[0])
	}
	return parseFault12(fe[0], e.Version)
}

func parseFault12(fe *etree.Element, ns string) (*Fault, error) {
	code, err := xmlsafe.Child(fe, ns, "Code")
	if err != nil {
		return nil, fmt.Errorf("soap: fault: %w: %w", ErrFault, err)
	}
	val, err := xmlsafe.Child(code, ns, "Value")
	if err != nil {
		return nil, fmt.Errorf("soap: fault code: %w: %w", ErrFault, err)
	}
	q, err := resolveQName(val)
	if err != nil {
		return nil, err
	}
	if q.Space != ns {
		return nil, fmt.Errorf("soap: fault code {%s}%s: %w: not in the envelope namespace", q.Space, q.Local, ErrFault)
	}
	f := &Fault{Code: FaultCode(q.Local)}
	if sc := xmlsafe.Children(code, ns, "Subcode"); len(sc) == 1 {
		sv, err := xmlsafe.Child(sc[0], ns, "Value")
		if err != nil {
			return nil, fmt.Errorf("soap: fault subcode: %w: %w", ErrFault, err)
		}
		sq, err := resolveQName(sv)
		if err != nil {
			return nil, err
		}
		f.Subcode = &sq
	}
	if r := xmlsafe.Children(fe, ns, "Reason"); len(r) == 1 {
		if ts := xmlsafe.Children(r[0], ns, "Text"); len(ts) > 0 {
			f.Reason = strings.TrimSpace(ts[0].Text())
		}
	}
	if r := xmlsafe.Children(fe, ns, "Role"); len(r) == 1 {
		f.Role = strings.TrimSpace(r[0].Text())
	}
	if d := xmlsafe.Children(fe, ns, "Detail"); len(d) == 1 {
		if cs := d[0].ChildElements(); len(cs) > 0 {
			f.Detail = cs[0].Copy()
		}
	}
	return f, nil
}

func parseFault11(fe *etree.Element) (*Fault, error) {
	// SOAP 1.1 §4.4: faultcode and faultstring are unqualified.
	fc := xmlsafe.Children(fe, "", "faultcode")
	if len(fc) != 1 {
		return nil, fmt.Errorf("soap: fault: %w: SOAP 1.1 fault needs one faultcode", ErrFault)
	}
	q, err := resolveQName(fc[0])
	if err != nil {
		return nil, err
	}
	f := &Fault{Code: FaultCode(q.Local)}
	switch {
	case q.Local == "Client" || strings.HasPrefix(q.Local, "Client."):
		f.Code = Sender
	case q.Local == "Server" || strings.HasPrefix(q.Local, "Server."):
		f.Code = Receiver
	}
	if fs := xmlsafe.Children(fe, "", "faultstring"); len(fs) == 1 {
		f.Reason = strings.TrimSpace(fs[0].Text())
	}
	return f, nil
}

// resolveQName resolves the QName text content of el in el's scope.
func resolveQName(el *etree.Element) (QName, error) {
	t := strings.TrimSpace(el.Text())
	prefix, local, ok := strings.Cut(t, ":")
	if !ok {
		prefix, local = "", t
	}
	if local == "" {
		return QName{}, fmt.Errorf("soap: %w: empty QName in <%s>", ErrFault, el.FullTag())
	}
	uri, bound := xmlsafe.LookupPrefix(el, prefix)
	if !bound {
		return QName{}, fmt.Errorf("soap: %w: prefix %q of %q is not bound", ErrFault, prefix, t)
	}
	return QName{Space: uri, Local: local}, nil
}
