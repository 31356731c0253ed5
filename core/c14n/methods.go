// Package c14n implements XML canonicalization as used by XML Signature:
// Canonical XML 1.0 (W3C REC-xml-c14n-20010315) and Exclusive XML
// Canonicalization 1.0 (W3C REC-xml-exc-c14n-20020718), with and without comments.
package c14n

// Method is a canonicalization algorithm URI, copied verbatim from its specification.
type Method string

const (
	// C14N10 is Canonical XML 1.0 (omits comments). Used by the O2O XHE signature and SMP.
	C14N10 Method = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	// C14N10Comments is Canonical XML 1.0 with comments.
	C14N10Comments Method = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	// ExcC14N is Exclusive XML Canonicalization 1.0 (omits comments). Used by AS4.
	ExcC14N Method = "http://www.w3.org/2001/10/xml-exc-c14n#"
	// ExcC14NComments is Exclusive XML Canonicalization 1.0 with comments.
	ExcC14NComments Method = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	// C14N11 is Canonical XML 1.1 (omits comments).
	C14N11 Method = "http://www.w3.org/2006/12/xml-c14n11"
)
