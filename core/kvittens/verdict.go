package kvittens

import (
	"fmt"
	"strings"
)

// ResponseCode is the kvittenskod of cac:DocumentResponse/cac:Response/cbc:ResponseCode (R5-APP).
type ResponseCode string

const (
	Accepted ResponseCode = "ACCEPTED"
	Rejected ResponseCode = "REJECTED"
)

// Reason is the orsakskod of cac:LineResponse/cac:Response/cbc:ResponseCode (R6-APP).
type Reason string

const (
	// SV is a schema (XSD) failure.
	SV Reason = "SV"
	// BV is a business-rule failure (schematron, code list, content specification).
	BV Reason = "BV"
	// SIG is a signature or security failure.
	SIG Reason = "SIG"
)

// Detail is the detail code of [CONTENT] §5.3 (the failure texts of MessageConstraints.xml
// begin with it). It is placed in cbc:StatusReasonCode, which is unverified: spec-facts §k 16.
type Detail string

const (
	DetailStructure       Detail = "structure"
	DetailInvariant       Detail = "invariant"
	DetailTooLong         Detail = "too-long"
	DetailForbidden       Detail = "forbidden"
	DetailDuplicate       Detail = "duplicate" // ⚠U spec-facts §k 23 (alternative "multiple-matches")
	DetailMultipleMatches Detail = "multiple-matches"
	DetailNotSupported    Detail = "not-supported"
	DetailNotFound        Detail = "not-found"
	DetailSecurity        Detail = "security"
)

// Violation is one broken rule, as DIGG's validators report it: the rule id (the
// schematron assert id or pattern id, "XSD" for a schema constraint, "CONTENT-…" for a
// [CONTENT] check the schematron leaves out), an XPath-like location and a text.
// Reason and Detail say which rejection it leads to.
type Violation struct {
	Rule     string
	Location string
	Text     string
	Reason   Reason
	Detail   Detail
}

// String formats v as "RULE-ID location: text", the CLI's report line.
func (v Violation) String() string { return v.Rule + " " + v.Location + ": " + v.Text }

// Rejection is the error a receiving message service turns into a REJECTED receipt: the
// reason and detail code of [CONTENT] §5.3, the violations found (if any) and the cause.
// Callers branch on it with errors.As.
type Rejection struct {
	Reason     Reason
	Detail     Detail
	Violations []Violation
	Err        error
}

func (r *Rejection) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rejected %s/%s", r.Reason, r.Detail)
	if r.Err != nil {
		b.WriteString(": ")
		b.WriteString(r.Err.Error())
	}
	for i, v := range r.Violations {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(r.Violations)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(v.String())
	}
	return b.String()
}

func (r *Rejection) Unwrap() error { return r.Err }

// Reject builds the rejection for a set of violations: the first schema (SV) violation
// wins, as DIGG's test case TF2.4.1 (XSD and schematron failures at once) expects
// SV/structure; otherwise the first violation's reason and detail. It returns nil for none.
func Reject(vs []Violation) *Rejection {
	if len(vs) == 0 {
		return nil
	}
	pick := vs[0]
	for _, v := range vs {
		if v.Reason == SV {
			pick = v
			break
		}
	}
	return &Rejection{Reason: pick.Reason, Detail: pick.Detail, Violations: vs}
}
