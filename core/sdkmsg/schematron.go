package sdkmsg

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
)

// This file implements every pattern of MessageConstraints.xml (sdk-schematron-v3) that
// the schema instantiates, with XPath 2.0 semantics: normalize-space, matches() with
// XPath's "." (any character but \n and \r), string-length in code points. The abstract
// patterns pattern.OrganizationIdentifier, pattern.contentAsTextType, pattern.Equals and
// pattern.notAllowed are declared but never instantiated, so DIGG's schematron never
// fires them; the [CONTENT] rules they hint at are the CONTENT-* checks below.

// Schematron pattern ids of MessageConstraints.xml, used as rule ids.
const (
	RuleNonEmpty        = "verifyNonEmptyElements"
	RuleCreationTime    = "creationDateTime"
	RuleMessageID       = "MessageId"
	RuleConversationID  = "conversationId"
	RuleRefToMessageID  = "refToMessageId"
	RuleSubjectLabel    = "subjectlabel"
	RuleContentFiles    = "contentFiles"
	RuleSubOrgRoot      = "subOrgRoot"
	RuleConversationOne = "conversationIdMustExist"
	RuleRecipientID     = "recipientIdvalue"
	RuleSenderID        = "senderIdvalue"
)

// Rules of [CONTENT] that MessageConstraints.xml does not enforce.
const (
	// RuleParticipant0203: senderID and recipientID extensions are "0203:<domain>" [CONTENT]
	// §4.3.2 (the schematron's pattern.OrganizationIdentifier is never instantiated).
	RuleParticipant0203 = "CONTENT-0203"
	// RuleDocumentContent: each documents carries at least one ContentText or ContentFiles
	// [CONTENT] §4.4.
	RuleDocumentContent = "CONTENT-documents"
	// RuleBase64: ContentFiles/content is base64 (RFC 4648) [CONTENT] §4.4; the schematron
	// only checks the first character.
	RuleBase64 = "CONTENT-base64"
	// RuleSize: the whole message is at most MaxBytes [CONTENT] §5 → BV/too-long.
	RuleSize = "CONTENT-size"
)

type schematronRes struct {
	timestamp, uuid *regexp.Regexp
	b64start        *regexp.Regexp
}

func newSchematronRes() schematronRes {
	// Regular expressions copied from MessageConstraints.xml; "." is XPath's [^\n\r].
	return schematronRes{
		timestamp: regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[^\n\r][0-9]{1,3}Z$`),
		uuid:      regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`),
		b64start:  regexp.MustCompile(`^[a-zA-Z0-9+/]`),
	}
}

func invariant(rule, loc, format string, args ...any) kvittens.Violation {
	return kvittens.Violation{Rule: rule, Location: loc, Text: "invariant | " + fmt.Sprintf(format, args...),
		Reason: kvittens.BV, Detail: kvittens.DetailInvariant}
}

// stringValue is the XPath string value of el: its descendant text, in order.
func stringValue(el *etree.Element) string {
	var b strings.Builder
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				walk(t)
			}
		}
	}
	walk(el)
	return b.String()
}

// hasNonSpace reports whether el's string value has a character other than XML
// whitespace, i.e. normalize-space(el) is not empty (without building the string).
func hasNonSpace(el *etree.Element) bool {
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			if strings.TrimLeft(t.Data, " \t\n\r") != "" {
				return true
			}
		case *etree.Element:
			if hasNonSpace(t) {
				return true
			}
		}
	}
	return false
}

type located struct {
	el  *etree.Element
	loc string
}

// walkAll lists root's descendants (not root) with their locations, in document order.
func walkAll(root *etree.Element, rootLoc string) []located {
	var out []located
	var walk func(e *etree.Element, loc string)
	walk = func(e *etree.Element, loc string) {
		seen := map[string]int{}
		for _, c := range e.ChildElements() {
			cl := childLoc(loc, c, seen)
			out = append(out, located{c, cl})
			walk(c, cl)
		}
	}
	walk(root, rootLoc)
	return out
}

func isT(el *etree.Element, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == Namespace
}

func parentIs(el *etree.Element, local string) bool { return isT(el.Parent(), local) }

func countT(el *etree.Element, local string) int {
	n := 0
	for _, c := range el.ChildElements() {
		if isT(c, local) {
			n++
		}
	}
	return n
}

// checkSchematron applies MessageConstraints.xml to the tree under root.
func checkSchematron(root *etree.Element) []kvittens.Violation {
	re := newSchematronRes()
	var out []kvittens.Violation
	const rootLoc = "/tns:messagePayload"
	all := walkAll(root, rootLoc)
	if isT(root, "messagePayload") {
		for _, n := range all { // verifyNonEmptyElements: context tns:messagePayload//*
			if !hasNonSpace(n.el) {
				out = append(out, invariant(RuleNonEmpty, n.loc,
					"Element %s is included but empty. All elements included in the response must have valid values.", n.el.FullTag()))
			}
		}
	}
	for _, n := range all {
		el, loc := n.el, n.loc
		v := stringValue(el)
		switch {
		case isT(el, "creationDateTime"):
			if !re.timestamp.MatchString(v) {
				out = append(out, invariant(RuleCreationTime, loc,
					"In tns:creationDateTime, Timestamp should match pattern \"YYYY-MM-DD'T'hh:mm:ss.s'Z'\" but was %s. | ", clip(v)))
			}
		case isT(el, "messageId"), isT(el, "conversationId"), isT(el, "refToMessageId"):
			rule := map[string]string{"messageId": RuleMessageID, "conversationId": RuleConversationID,
				"refToMessageId": RuleRefToMessageID}[el.Tag]
			if !re.uuid.MatchString(v) {
				out = append(out, invariant(rule, loc, "In tns:%s, %s is not a valid UUID ", el.Tag, clip(v)))
			}
		case isT(el, "label") && parentIs(el, "messageHeader"):
			if n := utf8.RuneCountInString(v); n > 256 {
				out = append(out, invariant(RuleSubjectLabel, loc,
					"In tns:messageHeader/tns:label, string length %d exceeded maxlength 256", n))
			}
		case isT(el, "content") && parentIs(el, "ContentFiles"):
			if !re.b64start.MatchString(v) {
				out = append(out, invariant(RuleContentFiles, loc,
					"In tns:ContentFiles/tns:content, %s must be a valid base64 encoded string", clip(v)))
			}
		case isT(el, "root") && parentIs(el, "organizationId") && parentIs(el.Parent(), "subOrganization"):
			if v != FunctionalAddressRoot {
				out = append(out, invariant(RuleSubOrgRoot, loc,
					"In tns:subOrganization/tns:organizationId/tns:root, element %s must be set to '%s' |", el.FullTag(), FunctionalAddressRoot))
			}
		case isT(el, "messageHeader"):
			if countT(el, "conversationId") != 1 {
				out = append(out, invariant(RuleConversationOne, loc,
					"In %s, conversationId must be set. If this is a new message, use the same UUID as messageId to start new conversation", el.FullTag()))
			}
		case isT(el, "root") && parentIs(el, "recipientID"):
			if v != ParticipantScheme {
				out = append(out, invariant(RuleRecipientID, loc, "In %s, should be set to '%s' but was %s.", el.FullTag(), ParticipantScheme, clip(v)))
			}
		case isT(el, "root") && parentIs(el, "senderID"):
			if v != ParticipantScheme {
				out = append(out, invariant(RuleSenderID, loc, "In %s should be set to '%s' but was %s.", el.FullTag(), ParticipantScheme, clip(v)))
			}
		}
	}
	return out
}

// checkContent applies the [CONTENT] rules the schematron leaves out.
func checkContent(root *etree.Element) []kvittens.Violation {
	var out []kvittens.Violation
	for _, n := range walkAll(root, "/tns:messagePayload") {
		el, loc := n.el, n.loc
		switch {
		case isT(el, "extension") && (parentIs(el, "senderID") || parentIs(el, "recipientID")):
			if !strings.HasPrefix(stringValue(el), ParticipantPrefix) {
				out = append(out, invariant(RuleParticipant0203, loc,
					"In %s/tns:extension, value should be set to \"0203:domain-example.se\" but was %s.", el.Parent().Tag, clip(stringValue(el))))
			}
		case isT(el, "documents") && parentIs(el, "messageBody"):
			if countT(el, "ContentText")+countT(el, "ContentFiles") == 0 {
				out = append(out, invariant(RuleDocumentContent, loc, "documents must carry at least one ContentText or ContentFiles"))
			}
		case isT(el, "content") && parentIs(el, "ContentFiles"):
			if _, err := decodeBase64(stringValue(el)); err != nil {
				out = append(out, invariant(RuleBase64, loc, "content is not base64 (RFC 4648): %v", err))
			}
		}
	}
	return out
}

// decodeBase64 decodes RFC 4648 base64, ignoring XML whitespace (line breaks are common).
func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(clean)
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
