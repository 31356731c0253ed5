package smp

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/beevik/etree"
)

// Element returns the OASIS ServiceGroup element (SMP1 §3.5), in the SMP namespace as
// default namespace.
func (sg *ServiceGroup) Element() (*etree.Element, error) {
	if err := checkID(sg.Participant, "participant"); err != nil {
		return nil, err
	}
	root := etree.NewElement("ServiceGroup")
	root.CreateAttr("xmlns", Namespace)
	addIdentifier(root, "ParticipantIdentifier", sg.Participant)
	coll := root.CreateElement("ServiceMetadataReferenceCollection")
	for _, href := range sg.References {
		coll.CreateElement("ServiceMetadataReference").CreateAttr("href", href)
	}
	if err := addExtensions(root, sg.Extensions); err != nil {
		return nil, err
	}
	return root, nil
}

// Element returns the OASIS ServiceMetadata element (SMP1 §3.6).
func (sm *ServiceMetadata) Element() (*etree.Element, error) {
	root := etree.NewElement("ServiceMetadata")
	root.CreateAttr("xmlns", Namespace)
	switch {
	case sm.Information != nil && sm.Redirect == nil:
		if err := addInformation(root, sm.Information); err != nil {
			return nil, err
		}
	case sm.Redirect != nil && sm.Information == nil:
		r := root.CreateElement("Redirect")
		if sm.Redirect.Href == "" || sm.Redirect.CertificateUID == "" {
			return nil, fmt.Errorf("%w: redirect needs href and CertificateUID", ErrInvalid)
		}
		r.CreateAttr("href", sm.Redirect.Href)
		r.CreateElement("CertificateUID").SetText(sm.Redirect.CertificateUID)
		if err := addExtensions(r, sm.Redirect.Extensions); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: service metadata needs exactly one of Information and Redirect", ErrInvalid)
	}
	return root, nil
}

// Document returns a document holding the SignedServiceMetadata element, with
// ServiceMetadata as its only child, ready for signing (Sign appends ds:Signature).
func (sm *ServiceMetadata) Document() (*etree.Document, error) {
	inner, err := sm.Element()
	if err != nil {
		return nil, err
	}
	inner.RemoveAttr("xmlns")
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("SignedServiceMetadata")
	root.CreateAttr("xmlns", Namespace)
	root.AddChild(inner)
	return doc, nil
}

func addInformation(root *etree.Element, si *ServiceInformation) error {
	if err := checkID(si.Participant, "participant"); err != nil {
		return err
	}
	if err := checkID(si.Document, "document"); err != nil {
		return err
	}
	if len(si.Processes) == 0 {
		return fmt.Errorf("%w: service information needs at least one process", ErrInvalid)
	}
	info := root.CreateElement("ServiceInformation")
	addIdentifier(info, "ParticipantIdentifier", si.Participant)
	addIdentifier(info, "DocumentIdentifier", si.Document)
	pl := info.CreateElement("ProcessList")
	for _, p := range si.Processes {
		if err := checkID(p.ID, "process"); err != nil {
			return err
		}
		pe := pl.CreateElement("Process")
		addIdentifier(pe, "ProcessIdentifier", p.ID)
		sel := pe.CreateElement("ServiceEndpointList")
		seen := map[TransportProfile]bool{}
		for _, e := range p.Endpoints {
			if seen[e.TransportProfile] { // SMP TAD v1.07: one Endpoint per transport profile
				return fmt.Errorf("%w: two endpoints with transport profile %s", ErrInvalid, e.TransportProfile)
			}
			seen[e.TransportProfile] = true
			if err := addEndpoint(sel, e); err != nil {
				return err
			}
		}
		if err := addExtensions(pe, p.Extensions); err != nil {
			return err
		}
	}
	return addExtensions(info, si.Extensions)
}

func addEndpoint(parent *etree.Element, e Endpoint) error {
	if e.TransportProfile == "" || e.URI == "" || len(e.CertificateDER) == 0 {
		return fmt.Errorf("%w: endpoint needs transport profile, URI and certificate", ErrInvalid)
	}
	el := parent.CreateElement("Endpoint")
	el.CreateAttr("transportProfile", string(e.TransportProfile))
	el.CreateElement("EndpointURI").SetText(e.URI)
	rbls := "false"
	if e.RequireBusinessLevelSignature {
		rbls = "true"
	}
	el.CreateElement("RequireBusinessLevelSignature").SetText(rbls)
	if e.MinimumAuthenticationLevel != "" {
		el.CreateElement("MinimumAuthenticationLevel").SetText(e.MinimumAuthenticationLevel)
	}
	if !e.ActivationDate.IsZero() {
		el.CreateElement("ServiceActivationDate").SetText(e.ActivationDate.UTC().Format(time.RFC3339))
	}
	if !e.ExpirationDate.IsZero() {
		el.CreateElement("ServiceExpirationDate").SetText(e.ExpirationDate.UTC().Format(time.RFC3339))
	}
	el.CreateElement("Certificate").SetText(base64.StdEncoding.EncodeToString(e.CertificateDER))
	el.CreateElement("ServiceDescription").SetText(e.Description)
	el.CreateElement("TechnicalContactUrl").SetText(e.TechnicalContactURL)
	if e.TechnicalInformationURL != "" {
		el.CreateElement("TechnicalInformationUrl").SetText(e.TechnicalInformationURL)
	}
	return addExtensions(el, e.Extensions)
}

func addIdentifier(parent *etree.Element, local string, id Identifier) {
	el := parent.CreateElement(local)
	el.CreateAttr("scheme", id.Scheme)
	el.SetText(id.Value)
}

func addExtensions(parent *etree.Element, xs []Extension) error {
	for i := range xs {
		x := xs[i]
		el := parent.CreateElement("Extension")
		for _, f := range extFields(&x) {
			if *f.val != "" {
				el.CreateElement(f.local).SetText(*f.val)
			}
		}
		if x.Content != nil {
			decl := "xmlns"
			if x.Content.Space != "" {
				decl = "xmlns:" + x.Content.Space
			}
			if a := x.Content.SelectAttr(decl); a == nil || a.Value == "" || a.Value == Namespace {
				return fmt.Errorf("%w: extension content must declare its own, foreign namespace", ErrInvalid)
			}
			el.AddChild(x.Content.Copy())
		}
	}
	return nil
}

func checkID(id Identifier, what string) error {
	if id.Scheme == "" || id.Value == "" {
		return fmt.Errorf("%w: %s identifier needs scheme and value", ErrInvalid, what)
	}
	return nil
}
