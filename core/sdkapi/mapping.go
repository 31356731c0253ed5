package sdkapi

import (
	"time"

	"github.com/brevduva/brevduva/core/sdkmsg"
)

// ToMessage maps create attributes to an SDK message v3. It does not validate;
// sdkmsg.Message.Bytes does, with the SDK message's own rules.
func ToMessage(a *Attributes) *sdkmsg.Message {
	m := &sdkmsg.Message{
		CreationDateTime: a.CreationDateTime,
		MessageID:        a.MessageID,
		ConversationID:   a.ConversationID,
		RefToMessageID:   a.RefToMessageID,
		Label:            a.Label,
		Recipient:        sdkmsg.Party{ID: a.Recipient, Attention: toAttention(a.RecipientAttention)},
		Sender:           sdkmsg.Party{ID: a.Sender, Attention: toAttention(a.SenderAttention)},
	}
	if a.Confidentiality != nil {
		m.Confidentiality = *a.Confidentiality
	}
	if g := a.GeneratingSystem; g != nil {
		m.GeneratingSystem = &sdkmsg.II{Root: g.Root, Extension: g.Extension}
	}
	for _, d := range a.DigitalDocument {
		doc := sdkmsg.Document{DocumentID: d.DocumentID, DocumentName: d.DocumentName, Index: string(d.Index), Texts: d.ContentTextBody}
		for _, f := range d.ContentFiles {
			doc.Files = append(doc.Files, sdkmsg.File{FileName: f.FileName, ContentType: f.ContentType, Content: f.Content})
		}
		m.Documents = append(m.Documents, doc)
	}
	return m
}

func toAttention(a *Attention) *sdkmsg.Attention {
	if a == nil {
		return nil
	}
	out := &sdkmsg.Attention{}
	if s := a.SubOrganization; s != nil {
		out.FunctionAddress, out.FunctionLabel = s.Extension, s.Label
	}
	for _, p := range a.AttentionPerson {
		out.Persons = append(out.Persons, sdkmsg.Person{PersonID: &sdkmsg.II{Root: p.Root, Extension: p.Extension}, Label: p.Label})
	}
	for _, r := range a.ReferenceID {
		out.References = append(out.References, sdkmsg.Reference{ReferenceID: sdkmsg.II{Root: r.Root, Extension: r.Extension}, Label: r.Label})
	}
	return out
}

// FromMessage maps an SDK message v3 to attributes (a delivered message).
func FromMessage(m *sdkmsg.Message) Attributes {
	conf := m.Confidentiality
	a := Attributes{
		CreationDateTime:   m.CreationDateTime,
		MessageID:          m.MessageID,
		ConversationID:     m.ConversationID,
		RefToMessageID:     m.RefToMessageID,
		Confidentiality:    &conf,
		Label:              m.Label,
		Sender:             m.Sender.ID,
		Recipient:          m.Recipient.ID,
		SenderAttention:    fromAttention(m.Sender.Attention),
		RecipientAttention: fromAttention(m.Recipient.Attention),
	}
	if g := m.GeneratingSystem; g != nil {
		a.GeneratingSystem = &II{Root: g.Root, Extension: g.Extension}
	}
	for _, d := range m.Documents {
		doc := Document1{DocumentID: d.DocumentID, DocumentName: d.DocumentName, Index: Index(d.Index), ContentTextBody: d.Texts}
		for _, f := range d.Files {
			doc.ContentFiles = append(doc.ContentFiles, File{FileName: f.FileName, ContentType: f.ContentType, Content: f.Content})
		}
		a.DigitalDocument = append(a.DigitalDocument, doc)
	}
	return a
}

func fromAttention(a *sdkmsg.Attention) *Attention {
	if a == nil {
		return nil
	}
	out := &Attention{}
	if a.FunctionAddress != "" || a.FunctionLabel != "" {
		out.SubOrganization = &II{Root: sdkmsg.FunctionalAddressRoot, Extension: a.FunctionAddress, Label: a.FunctionLabel}
	}
	for _, p := range a.Persons {
		ii := II{Label: p.Label}
		if p.PersonID != nil {
			ii.Root, ii.Extension = p.PersonID.Root, p.PersonID.Extension
		}
		out.AttentionPerson = append(out.AttentionPerson, ii)
	}
	for _, r := range a.References {
		out.ReferenceID = append(out.ReferenceID, II{Root: r.ReferenceID.Root, Extension: r.ReferenceID.Extension, Label: r.Label})
	}
	return out
}

// FromSent maps an outbox entry to attributes.
func FromSent(s Sent) Attributes {
	a := Attributes{
		MessageStatus:    s.Status,
		CreationDateTime: sdkmsg.FormatTime(s.CreatedAt),
		MessageID:        s.MessageID,
		ConversationID:   s.ConversationID,
		RefToMessageID:   s.RefToMessageID,
		Label:            s.Label,
		Sender:           s.Sender,
		Recipient:        s.Recipient,
	}
	if s.FunctionAddress != "" {
		a.RecipientAttention = &Attention{SubOrganization: &II{Root: sdkmsg.FunctionalAddressRoot, Extension: s.FunctionAddress}}
	}
	for _, e := range s.Events {
		a.Events = append(a.Events, Event{MessageStatus: e.Status, DateTime: formatTime(e.At), Reason: e.Reason})
	}
	return a
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return sdkmsg.FormatTime(t)
}
