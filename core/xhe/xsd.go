package xhe

import (
	"fmt"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// This file checks the element structure of XHE-1.0.xsd natively for the parts DIGG's
// profile uses: order and cardinality of XHEType, HeaderType, BusinessScopeType,
// BusinessScopeCriterionType, PartyType, PartyIdentificationType, PayloadsType and
// PayloadType (rule id "XSD", SV/structure). Attributes, the CCTS simple types and the
// content of elements R1-XHE forbids are not checked here; TestXSDInterop compares with
// libxml2 on the full schema.

type particle struct {
	ns, local string
	min, max  int // max -1 = unbounded
	model     *seqModel
}

type seqModel struct {
	name string
	seq  []particle
}

func xsdModel() *seqModel {
	b := func(local string, min, max int) particle {
		return particle{ns: NSBasic, local: local, min: min, max: max}
	}
	a := func(local string, min, max int, m *seqModel) particle {
		return particle{ns: NSAggregate, local: local, min: min, max: max, model: m}
	}
	crit := &seqModel{"BusinessScopeCriterionType", []particle{b("BusinessScopeCriterionTypeCode", 1, 1), b("BusinessScopeCriterionValue", 1, 1)}}
	scope := &seqModel{"BusinessScopeType", []particle{a("BusinessScopeCriterion", 0, -1, crit), a("ExternalReference", 0, -1, nil)}}
	pid := &seqModel{"PartyIdentificationType", []particle{b("ID", 1, 1)}}
	party := &seqModel{"PartyType", []particle{a("PartyIdentification", 1, -1, pid)}}
	header := &seqModel{"HeaderType", []particle{b("ID", 1, 1), b("UUID", 0, 1), b("CreationDateTime", 1, 1),
		a("BusinessScope", 0, 1, scope), a("FromParty", 0, 1, party), a("ToParty", 1, -1, party)}}
	payload := &seqModel{"PayloadType", []particle{b("ID", 0, 1), b("Description", 0, -1), b("DocumentTypeCode", 0, 1),
		b("ContentTypeCode", 0, 1), b("CustomizationID", 0, 1), b("ProfileID", 0, 1), b("ProfileExecutionID", 0, 1),
		b("HandlingServiceID", 0, 1), b("ValidationTypeCode", 0, 1), b("ValidationVersionID", 0, 1),
		b("InstanceEncryptionIndicator", 1, 1), b("InstanceEncryptionMethod", 0, 1), b("InstanceHashValue", 0, 1),
		a("InstanceDecryptionInformationExternalReference", 0, 1, nil), a("InstanceDecryptionKeyExternalReference", 0, 1, nil),
		a("RelevantExternalReference", 0, -1, nil), a("PayloadExternalReference", 0, 1, nil), a("PayloadContent", 0, 1, nil)}}
	payloads := &seqModel{"PayloadsType", []particle{a("Payload", 1, -1, payload)}}
	return &seqModel{"XHEType", []particle{{ns: NSExtension, local: "XHEExtensions", min: 0, max: 1},
		b("XHEVersionID", 1, 1), b("CustomizationID", 0, 1), b("ProfileID", 0, 1), b("ProfileExecutionID", 0, 1),
		a("Header", 1, 1, header), a("Payloads", 0, 1, payloads), {ns: nsDS, local: "Signature", min: 0, max: -1}}}
}

func checkStructure(el *etree.Element, m *seqModel, loc string, out *[]kvittens.Violation) {
	counts := make([]int, len(m.seq))
	pos := 0
	seen := map[string]int{}
	for _, c := range el.ChildElements() {
		ns := xmlsafe.NamespaceURI(c)
		seen[ns+" "+c.Tag]++
		cloc := fmt.Sprintf("%s/%s[%d]", loc, c.Tag, seen[ns+" "+c.Tag])
		j := pos
		for j < len(m.seq) && (m.seq[j].ns != ns || m.seq[j].local != c.Tag) {
			j++
		}
		if j == len(m.seq) {
			*out = append(*out, structure(cloc, "element {%s}%s is not expected here in %s", ns, c.Tag, m.name))
			continue
		}
		for k := pos; k < j; k++ {
			if counts[k] < m.seq[k].min {
				*out = append(*out, structure(cloc, "missing element %s before %s", m.seq[k].local, c.Tag))
			}
		}
		pos = j
		counts[j]++
		if p := m.seq[j]; p.max >= 0 && counts[j] > p.max {
			*out = append(*out, structure(cloc, "element %s occurs more than %d time(s)", c.Tag, p.max))
		}
		if m.seq[j].model != nil {
			checkStructure(c, m.seq[j].model, cloc, out)
		}
	}
	for k := pos; k < len(m.seq); k++ {
		if counts[k] < m.seq[k].min {
			*out = append(*out, structure(loc, "missing element %s in %s", m.seq[k].local, m.name))
		}
	}
}
