package smp

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// DocumentLimits returns the parser limits for SMP documents.
func DocumentLimits() xmlsafe.Limits {
	return xmlsafe.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 8 << 10, MaxElements: 20_000}
}

type names struct {
	smp, ids string // namespace of SMP elements and of identifier elements
	flavour  Flavour
}

func namesOf(root *etree.Element) (names, error) {
	switch ns := xmlsafe.NamespaceURI(root); ns {
	case Namespace:
		return names{Namespace, Namespace, OASIS}, nil
	case NamespacePeppol:
		return names{NamespacePeppol, NamespacePeppolIDs, Peppol}, nil
	default:
		return names{}, fmt.Errorf("%w: root {%s}%s is not an SMP element", ErrSyntax, ns, root.Tag)
	}
}

func parseDoc(b []byte) (*etree.Element, error) {
	doc, err := xmlsafe.ParseBytes(b, DocumentLimits())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrSyntax)
	}
	return root, nil
}

// ParseServiceGroup parses a ServiceGroup document (SMP1 §3.5), OASIS or PEPPOL.
func ParseServiceGroup(b []byte) (*ServiceGroup, error) {
	root, err := parseDoc(b)
	if err != nil {
		return nil, err
	}
	return ServiceGroupFromElement(root)
}

// ServiceGroupFromElement reads a ServiceGroup element.
func ServiceGroupFromElement(el *etree.Element) (*ServiceGroup, error) {
	n, err := namesOf(el)
	if err != nil {
		return nil, err
	}
	if el.Tag != "ServiceGroup" {
		return nil, fmt.Errorf("%w: root is %s, want ServiceGroup", ErrSyntax, el.Tag)
	}
	sg := &ServiceGroup{Flavour: n.flavour}
	if sg.Participant, err = identifier(el, n.ids, "ParticipantIdentifier"); err != nil {
		return nil, err
	}
	coll, err := xmlsafe.Child(el, n.smp, "ServiceMetadataReferenceCollection")
	if err != nil {
		return nil, fmt.Errorf("%w: ServiceMetadataReferenceCollection: %w", ErrSyntax, err)
	}
	for _, r := range xmlsafe.Children(coll, n.smp, "ServiceMetadataReference") {
		href, ok := xmlsafe.Attr(r, "", "href")
		if !ok || href == "" {
			return nil, fmt.Errorf("%w: ServiceMetadataReference without href", ErrSyntax)
		}
		sg.References = append(sg.References, href)
	}
	if sg.Extensions, err = extensions(el, n); err != nil {
		return nil, err
	}
	return sg, nil
}

// ParseServiceMetadata parses a ServiceMetadata or SignedServiceMetadata document
// (SMP1 §3.6), OASIS or PEPPOL, WITHOUT checking any signature: use VerifySigned for
// documents fetched from an SMP.
func ParseServiceMetadata(b []byte) (*ServiceMetadata, error) {
	root, err := parseDoc(b)
	if err != nil {
		return nil, err
	}
	n, err := namesOf(root)
	if err != nil {
		return nil, err
	}
	if root.Tag == "SignedServiceMetadata" {
		if root, err = xmlsafe.Child(root, n.smp, "ServiceMetadata"); err != nil {
			return nil, fmt.Errorf("%w: ServiceMetadata: %w", ErrSyntax, err)
		}
	}
	return ServiceMetadataFromElement(root)
}

// ServiceMetadataFromElement reads a ServiceMetadata element.
func ServiceMetadataFromElement(el *etree.Element) (*ServiceMetadata, error) {
	n, err := namesOf(el)
	if err != nil {
		return nil, err
	}
	if el.Tag != "ServiceMetadata" {
		return nil, fmt.Errorf("%w: element %s, want ServiceMetadata", ErrSyntax, el.Tag)
	}
	sm := &ServiceMetadata{Flavour: n.flavour}
	info := xmlsafe.Children(el, n.smp, "ServiceInformation")
	red := xmlsafe.Children(el, n.smp, "Redirect")
	switch {
	case len(info) == 1 && len(red) == 0:
		sm.Information, err = serviceInformation(info[0], n)
	case len(red) == 1 && len(info) == 0:
		sm.Redirect, err = redirect(red[0], n)
	default:
		err = fmt.Errorf("%w: ServiceMetadata needs exactly one ServiceInformation or Redirect (SMP1 §3.6)", ErrSyntax)
	}
	if err != nil {
		return nil, err
	}
	return sm, nil
}

func serviceInformation(el *etree.Element, n names) (*ServiceInformation, error) {
	si := &ServiceInformation{}
	var err error
	if si.Participant, err = identifier(el, n.ids, "ParticipantIdentifier"); err != nil {
		return nil, err
	}
	if si.Document, err = identifier(el, n.ids, "DocumentIdentifier"); err != nil {
		return nil, err
	}
	pl, err := xmlsafe.Child(el, n.smp, "ProcessList")
	if err != nil {
		return nil, fmt.Errorf("%w: ProcessList: %w", ErrSyntax, err)
	}
	procs := xmlsafe.Children(pl, n.smp, "Process")
	if len(procs) == 0 {
		return nil, fmt.Errorf("%w: ProcessList without Process", ErrSyntax)
	}
	for _, pe := range procs {
		p := Process{}
		if p.ID, err = identifier(pe, n.ids, "ProcessIdentifier"); err != nil {
			return nil, err
		}
		sel, err := xmlsafe.Child(pe, n.smp, "ServiceEndpointList")
		if err != nil {
			return nil, fmt.Errorf("%w: ServiceEndpointList: %w", ErrSyntax, err)
		}
		for _, ee := range xmlsafe.Children(sel, n.smp, "Endpoint") {
			e, err := endpoint(ee, n)
			if err != nil {
				return nil, err
			}
			p.Endpoints = append(p.Endpoints, e)
		}
		if p.Extensions, err = extensions(pe, n); err != nil {
			return nil, err
		}
		si.Processes = append(si.Processes, p)
	}
	if si.Extensions, err = extensions(el, n); err != nil {
		return nil, err
	}
	return si, nil
}

func endpoint(el *etree.Element, n names) (Endpoint, error) {
	e := Endpoint{}
	tp, ok := xmlsafe.Attr(el, "", "transportProfile")
	if !ok || tp == "" {
		return e, fmt.Errorf("%w: Endpoint without transportProfile", ErrSyntax)
	}
	e.TransportProfile = TransportProfile(tp)
	var err error
	if n.flavour == Peppol {
		ref, err := xmlsafe.Child(el, NamespaceWSA, "EndpointReference")
		if err != nil {
			return e, fmt.Errorf("%w: EndpointReference: %w", ErrSyntax, err)
		}
		if e.URI, err = text(ref, NamespaceWSA, "Address", true); err != nil {
			return e, err
		}
	} else if e.URI, err = text(el, n.smp, "EndpointURI", true); err != nil {
		return e, err
	}
	rbls, err := text(el, n.smp, "RequireBusinessLevelSignature", true)
	if err != nil {
		return e, err
	}
	switch rbls {
	case "true", "1":
		e.RequireBusinessLevelSignature = true
	case "false", "0":
	default:
		return e, fmt.Errorf("%w: RequireBusinessLevelSignature %q is not xs:boolean", ErrSyntax, rbls)
	}
	if e.MinimumAuthenticationLevel, err = text(el, n.smp, "MinimumAuthenticationLevel", false); err != nil {
		return e, err
	}
	for _, d := range []struct {
		local string
		t     *time.Time
	}{{"ServiceActivationDate", &e.ActivationDate}, {"ServiceExpirationDate", &e.ExpirationDate}} {
		s, err := text(el, n.smp, d.local, false)
		if err != nil {
			return e, err
		}
		if s == "" {
			continue
		}
		if *d.t, err = parseDateTime(s); err != nil {
			return e, fmt.Errorf("%w: %s: %w", ErrSyntax, d.local, err)
		}
	}
	cert, err := text(el, n.smp, "Certificate", true)
	if err != nil {
		return e, err
	}
	if e.CertificateDER, err = base64.StdEncoding.DecodeString(stripSpace(cert)); err != nil {
		return e, fmt.Errorf("%w: Certificate: %w", ErrSyntax, err)
	}
	if e.Description, err = text(el, n.smp, "ServiceDescription", true); err != nil {
		return e, err
	}
	if e.TechnicalContactURL, err = text(el, n.smp, "TechnicalContactUrl", true); err != nil {
		return e, err
	}
	if e.TechnicalInformationURL, err = text(el, n.smp, "TechnicalInformationUrl", false); err != nil {
		return e, err
	}
	if e.Extensions, err = extensions(el, n); err != nil {
		return e, err
	}
	return e, nil
}

func redirect(el *etree.Element, n names) (*Redirect, error) {
	href, ok := xmlsafe.Attr(el, "", "href")
	if !ok || href == "" {
		return nil, fmt.Errorf("%w: Redirect without href", ErrSyntax)
	}
	r := &Redirect{Href: href}
	var err error
	if r.CertificateUID, err = text(el, n.smp, "CertificateUID", true); err != nil {
		return nil, err
	}
	if r.Extensions, err = extensions(el, n); err != nil {
		return nil, err
	}
	return r, nil
}

// extensions reads the Extension children of el: OASIS allows several, PEPPOL one.
func extensions(el *etree.Element, n names) ([]Extension, error) {
	var out []Extension
	for _, xe := range xmlsafe.Children(el, n.smp, "Extension") {
		var x Extension
		fields := extFields(&x)
		for _, c := range xe.ChildElements() {
			ns := xmlsafe.NamespaceURI(c)
			if ns != n.smp {
				if x.Content != nil {
					return nil, fmt.Errorf("%w: Extension with more than one foreign element", ErrSyntax)
				}
				x.Content = c.Copy()
				continue
			}
			found := false
			for _, f := range fields {
				if c.Tag == f.local {
					if *f.val != "" {
						return nil, fmt.Errorf("%w: Extension has %s twice", ErrSyntax, f.local)
					}
					*f.val = strings.TrimSpace(allText(c))
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: unknown element %s in Extension", ErrSyntax, c.Tag)
			}
		}
		out = append(out, x)
	}
	return out, nil
}

func identifier(el *etree.Element, ns, local string) (Identifier, error) {
	c, err := xmlsafe.Child(el, ns, local)
	if err != nil {
		return Identifier{}, fmt.Errorf("%w: %s: %w", ErrSyntax, local, err)
	}
	scheme, _ := xmlsafe.Attr(c, "", "scheme")
	id := Identifier{Scheme: scheme, Value: strings.TrimSpace(allText(c))}
	if id.Value == "" {
		return Identifier{}, fmt.Errorf("%w: empty %s", ErrSyntax, local)
	}
	return id, nil
}

// text returns the trimmed text of the only child {ns}local; "" when optional and absent.
func text(el *etree.Element, ns, local string, required bool) (string, error) {
	cs := xmlsafe.Children(el, ns, local)
	switch {
	case len(cs) == 0 && !required:
		return "", nil
	case len(cs) != 1:
		return "", fmt.Errorf("%w: %s: want exactly one, have %d", ErrSyntax, local, len(cs))
	}
	if len(cs[0].ChildElements()) > 0 {
		return "", fmt.Errorf("%w: %s has child elements", ErrSyntax, local)
	}
	return strings.TrimSpace(allText(cs[0])), nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// parseDateTime reads xs:dateTime; without a zone it is taken as UTC.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an xs:dateTime", s)
}

// allText concatenates el's character data (etree may split it at character references).
func allText(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}
