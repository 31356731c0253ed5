// Package sdkmsg implements the SDK message v3 ("SDK meddelande",
// urn:riv:infrastructure:messaging:MessageWithAttachments:3) of DIGG's Säker digital
// kommunikation: the XSD infrastructure_messaging_MessageWithAttachments_3.0.xsd, the
// schematron MessageConstraints.xml (sdk-meddelande-v3.1) and the checks of the content
// specification B1.3.3 v1.5.2 [CONTENT] §4–5 that the schematron leaves out.
//
// Validation is native (no XSLT at run time). Each violation names its rule: "XSD" for a
// schema constraint (→ REJECTED/SV/structure), the schematron pattern id (for example
// "creationDateTime", "senderIdvalue"; → REJECTED/BV/invariant), or "CONTENT-…" for a
// [CONTENT] rule (→ BV/invariant; BV/too-long for the 30 MB limit). Extension elements
// of other namespaces (xs:any ##other, processContents lax) are accepted and skipped.
package sdkmsg
