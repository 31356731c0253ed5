// Package xhe implements the OASIS Exchange Header Envelope (XHE) 1.0 (OS, 25 April 2021)
// as profiled by DIGG for SDK (Kuverteringsprofil XHE, CustomizationID
// urn:fdc:digg.se:edelivery:xhe:1): building and parsing the envelope, the five
// BusinessScope criteria, the From/To parties and the single Payload, and the rules of
// DIGG-XHE-Business-Rules.scmt (R1-XHE … R14-XHE) implemented natively, together with the
// element structure of XHE-1.0.xsd for the parts the profile uses ("XSD").
//
// R11-XHE is meant for ToParty, but DIGG's schematron re-tests FromParty (a copy error,
// spec-facts §c); this package checks ToParty under R11-XHE, as the rule's text says.
// Signing and encryption of the envelope are core/o2o's.
package xhe

import (
	"github.com/beevik/etree"
)

// Namespaces of XHE 1.0.
const (
	Namespace   = "http://docs.oasis-open.org/bdxr/ns/XHE/1/ExchangeHeaderEnvelope"
	NSAggregate = "http://docs.oasis-open.org/bdxr/ns/XHE/1/AggregateComponents"
	NSBasic     = "http://docs.oasis-open.org/bdxr/ns/XHE/1/BasicComponents"
	NSExtension = "http://docs.oasis-open.org/bdxr/ns/XHE/1/ExtensionComponents"
	nsXenc      = "http://www.w3.org/2001/04/xmlenc#"
	nsDS        = "http://www.w3.org/2000/09/xmldsig#"
)

// Profile values of DIGG's XHE profile, copied verbatim (spec-facts §c, §a.2).
const (
	CustomizationID = "urn:fdc:digg.se:edelivery:xhe:1" // R3-XHE
	VersionID       = "1.0"                             // R9-XHE
	PartyScheme     = "iso6523-actorid-upis"            // R10-XHE, R11-XHE
	ContentTypeXML  = "application/xml"
)

// CriterionType is a BusinessScopeCriterionTypeCode (R4-XHE … R8-XHE).
type CriterionType string

const (
	DocumentID       CriterionType = "DOCUMENTID"
	DocumentIDScheme CriterionType = "DOCUMENTID_SCHEME"
	ProcessID        CriterionType = "PROCESSID"
	ProcessIDScheme  CriterionType = "PROCESSID_SCHEME"
	FederationID     CriterionType = "FEDERATIONID"
)

// BusinessScope values (spec-facts §a.2, §c).
const (
	DocIDSchemeQNS = "busdox-docid-qns"
	NoProcess      = "bdx:noprocess"
	ProcessScheme  = "urn:fdc:digg.se:edelivery:process"
	FederationSDK  = "urn:fdc:digg.se:edelivery:federation:sdk"  // ⚠U spec-facts §k 12: per environment
	FederationTest = "urn:fdc:digg.se:edelivery:federation:test" // ⚠U spec-facts §k 12: XHEP/ examples
	DocIDMessage   = "urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc"
	DocIDReceipt   = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2::ApplicationResponse##fdc:digg.se:edelivery:messagetype:response:1::2.1::tm-base-ext-sigenc" // ⚠U spec-facts §k 15
	DocTypeMessage = "Q{urn:riv:infrastructure:messaging:MessageWithAttachments:3}messagePayload"
	DocTypeReceipt = "Q{urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2}ApplicationResponse" // ⚠U spec-facts §k 15
)

// Criterion is one BusinessScopeCriterion.
type Criterion struct {
	Type  CriterionType
	Value string
}

// Scope returns the five BusinessScope criteria DIGG's profile requires for a document id
// (DocIDMessage or DocIDReceipt) in a federation (FederationSDK or FederationTest).
func Scope(documentID, federation string) []Criterion {
	return []Criterion{
		{DocumentID, documentID}, {DocumentIDScheme, DocIDSchemeQNS},
		{ProcessID, NoProcess}, {ProcessIDScheme, ProcessScheme},
		{FederationID, federation},
	}
}

// Envelope is an XHE as DIGG profiles it.
type Envelope struct {
	ID               string // Header/ID = the SDK messageId
	CreationDateTime string // Header/CreationDateTime, xs:dateTime
	Scope            []Criterion
	From, To         string // FromParty/ToParty PartyIdentification/ID, scheme PartyScheme
	DocumentTypeCode string
	ContentTypeCode  string
	// HandlingServiceID is the recipient's function address (= attention subOrganization
	// organizationId/extension of the SDK message).
	HandlingServiceID string
	// Encrypted is InstanceEncryptionIndicator: true when Content is xenc:EncryptedData.
	Encrypted bool
	// Content is the single element inside PayloadContent. Parse points it into the
	// parsed tree; Document copies it.
	Content *etree.Element
	// ContentText is the text of PayloadContent when it holds no element (a non-XML
	// payload, base64 as in DIGG's XHE-NonXML-tm-base.xml).
	ContentText string
}

// Criterion returns the value of the first criterion of type t, or "".
func (e *Envelope) Criterion(t CriterionType) string {
	for _, c := range e.Scope {
		if c.Type == t {
			return c.Value
		}
	}
	return ""
}

// Element name prefixes Document uses.
const (
	prefixXHE = "xhe"
	prefixAgg = "xha"
	prefixBas = "xhb"
)

// Document builds the XHE document (without signature; core/o2o signs it). It does not
// validate; Validate the root to check it.
func (e *Envelope) Document() *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement(prefixXHE + ":XHE")
	root.CreateAttr("xmlns:"+prefixXHE, Namespace)
	root.CreateAttr("xmlns:"+prefixAgg, NSAggregate)
	root.CreateAttr("xmlns:"+prefixBas, NSBasic)
	b := func(parent *etree.Element, local, v string) *etree.Element {
		c := parent.CreateElement(prefixBas + ":" + local)
		c.SetText(v)
		return c
	}
	a := func(parent *etree.Element, local string) *etree.Element {
		return parent.CreateElement(prefixAgg + ":" + local)
	}
	b(root, "XHEVersionID", VersionID)
	b(root, "CustomizationID", CustomizationID)
	h := a(root, "Header")
	b(h, "ID", e.ID)
	b(h, "CreationDateTime", e.CreationDateTime)
	if len(e.Scope) > 0 {
		bs := a(h, "BusinessScope")
		for _, c := range e.Scope {
			ce := a(bs, "BusinessScopeCriterion")
			b(ce, "BusinessScopeCriterionTypeCode", string(c.Type))
			b(ce, "BusinessScopeCriterionValue", c.Value)
		}
	}
	party := func(local, id string) {
		p := a(h, local)
		pi := a(p, "PartyIdentification")
		b(pi, "ID", id).CreateAttr("schemeID", PartyScheme)
	}
	party("FromParty", e.From)
	party("ToParty", e.To)
	pl := a(a(root, "Payloads"), "Payload")
	b(pl, "DocumentTypeCode", e.DocumentTypeCode)
	b(pl, "ContentTypeCode", e.ContentTypeCode)
	if e.HandlingServiceID != "" {
		b(pl, "HandlingServiceID", e.HandlingServiceID)
	}
	ind := "false"
	if e.Encrypted {
		ind = "true"
	}
	b(pl, "InstanceEncryptionIndicator", ind)
	pc := a(pl, "PayloadContent")
	if e.Content != nil {
		pc.AddChild(e.Content.Copy())
	} else {
		pc.SetText(e.ContentText)
	}
	return doc
}
