package ebms

import (
	"errors"
	"fmt"
)

// Code is an ebMS error code, "EBMS:nnnn" (ebMS 3.0 Core §6.7).
type Code string

// Error codes of ebMS 3.0 Core §6.7.1 (ebMS processing), §6.7.2 (security),
// §6.7.3 (reliable messaging) and the AS4 profile (§3: reception awareness and
// compression; eDelivery AS4 1.15 lists them again).
const (
	ValueNotRecognized           Code = "EBMS:0001"
	FeatureNotSupported          Code = "EBMS:0002"
	ValueInconsistent            Code = "EBMS:0003"
	Other                        Code = "EBMS:0004"
	ConnectionFailure            Code = "EBMS:0005"
	EmptyMessagePartitionChannel Code = "EBMS:0006"
	MIMEInconsistency            Code = "EBMS:0007"
	FeatureNotSupportedFailure   Code = "EBMS:0008" // short name "FeatureNotSupported", severity failure
	InvalidHeader                Code = "EBMS:0009"
	ProcessingModeMismatch       Code = "EBMS:0010"
	ExternalPayloadError         Code = "EBMS:0011"
	FailedAuthentication         Code = "EBMS:0101"
	FailedDecryption             Code = "EBMS:0102"
	PolicyNoncompliance          Code = "EBMS:0103"
	DysfunctionalReliability     Code = "EBMS:0201"
	DeliveryFailure              Code = "EBMS:0202"
	MissingReceipt               Code = "EBMS:0301"
	InvalidReceipt               Code = "EBMS:0302"
	DecompressionFailure         Code = "EBMS:0303"
)

// Severity is the eb:Error@severity (ebMS 3.0 Core §6.2.5).
type Severity string

// Severities.
const (
	Failure Severity = "failure"
	Warning Severity = "warning"
)

// Category is the eb:Error@category (ebMS 3.0 Core §6.2.4, §6.7).
type Category string

// Categories.
const (
	Content       Category = "Content"
	Unpackaging   Category = "Unpackaging"
	Processing    Category = "Processing"
	Communication Category = "Communication"
)

// Origin is the eb:Error@origin (ebMS 3.0 Core §6.2.2).
type Origin string

// Origins.
const (
	OriginEBMS        Origin = "ebMS"
	OriginReliability Origin = "reliability"
	OriginSecurity    Origin = "security"
)

// ErrorInfo is one row of the error table.
type ErrorInfo struct {
	Code        Code
	ShortName   string
	Severity    Severity
	Category    Category
	Origin      Origin
	Description string
}

// Lookup returns the table row for code: ebMS 3.0 Core §6.7.1–6.7.3 and the
// AS4 profile's EBMS:0301–0303. ok is false for a code not in the table.
func Lookup(code Code) (info ErrorInfo, ok bool) {
	row := func(short string, sev Severity, cat Category, o Origin, desc string) (ErrorInfo, bool) {
		return ErrorInfo{Code: code, ShortName: short, Severity: sev, Category: cat, Origin: o, Description: desc}, true
	}
	switch code {
	case ValueNotRecognized:
		return row("ValueNotRecognized", Failure, Content, OriginEBMS, "Although the message document is well formed and schema valid, some element/attribute contains a value that could not be recognized and therefore could not be used by the MSH.")
	case FeatureNotSupported:
		return row("FeatureNotSupported", Warning, Content, OriginEBMS, "Although the message document is well formed and schema valid, some element/attribute value cannot be processed as expected because the related feature is not supported by the MSH.")
	case ValueInconsistent:
		return row("ValueInconsistent", Failure, Content, OriginEBMS, "Although the message document is well formed and schema valid, some element/attribute value is inconsistent either with the content of other element/attribute, or with the processing mode of the MSH, or with the normal message exchange.")
	case Other:
		return row("Other", Failure, Content, OriginEBMS, "")
	case ConnectionFailure:
		return row("ConnectionFailure", Failure, Communication, OriginEBMS, "The MSH is experiencing temporary or permanent failure in trying to open a transport connection with a remote MSH.")
	case EmptyMessagePartitionChannel:
		return row("EmptyMessagePartitionChannel", Warning, Communication, OriginEBMS, "There is no message available for pulling from this MPC at this moment.")
	case MIMEInconsistency:
		return row("MimeInconsistency", Failure, Unpackaging, OriginEBMS, "The use of MIME is not consistent with the required usage in this specification.")
	case FeatureNotSupportedFailure:
		return row("FeatureNotSupported", Failure, Unpackaging, OriginEBMS, "Although the message document is well formed and schema valid, the presence or absence of some element/ attribute is not consistent with the capability of the (receiving) MSH, with respect to supported features.")
	case InvalidHeader:
		return row("InvalidHeader", Failure, Unpackaging, OriginEBMS, "The ebMS header is either not well formed as an XML document, or does not conform to the ebMS packaging rules.")
	case ProcessingModeMismatch:
		return row("ProcessingModeMismatch", Failure, Processing, OriginEBMS, "The ebMS header or another header (e.g. reliability, security) expected by the MSH is not compatible with the expected content, based on the associated P-Mode.")
	case ExternalPayloadError:
		return row("ExternalPayloadError", Failure, Content, OriginEBMS, "The MSH is unable to resolve an external payload reference (i.e. a Part that is not contained within the ebMS Message, as identified by a PartInfo/href URI).")
	case FailedAuthentication:
		return row("FailedAuthentication", Failure, Processing, OriginSecurity, "The signature in the Security header intended for the \"ebms\" SOAP actor, could not be validated by the Security module.")
	case FailedDecryption:
		return row("FailedDecryption", Failure, Processing, OriginSecurity, "The encrypted data reference the Security header intended for the \"ebms\" SOAP actor could not be decrypted by the Security Module.")
	case PolicyNoncompliance:
		return row("PolicyNoncompliance", Failure, Processing, OriginSecurity, "The processor determined that the message's security methods, parameters, scope or other security policy-level requirements or agreements were not satisfied.")
	case DysfunctionalReliability:
		return row("DysfunctionalReliability", Failure, Processing, OriginReliability, "Some reliability function as implemented by the Reliability module, is not operational, or the reliability state associated with this message sequence is not valid.")
	case DeliveryFailure:
		return row("DeliveryFailure", Failure, Communication, OriginReliability, "Although the message was sent under Guaranteed delivery requirement, the Reliability module could not get assurance that the message was properly delivered, in spite of resending efforts.")
	case MissingReceipt:
		return row("MissingReceipt", Failure, Communication, OriginEBMS, "A Receipt has not been received for a message that was previously sent by the MSH generating this error.")
	case InvalidReceipt:
		return row("InvalidReceipt", Failure, Communication, OriginEBMS, "A Receipt has been received for a message that was previously sent by the MSH generating this error, but the content does not match the message content (e.g. some part has not been acknowledged, or the digest associated does not match the signature digest, for NRR).")
	case DecompressionFailure:
		return row("DecompressionFailure", Failure, Communication, OriginEBMS, "An error occurred during the decompression.")
	}
	return ErrorInfo{}, false
}

// Error is an ebMS error: what ParseMessaging returns, what an eb:Error
// element carries, and what the MSH reports to a peer in an error signal.
// Err is the local cause; it is never serialised.
type Error struct {
	Code           Code
	Severity       Severity
	Category       Category
	ShortName      string
	Origin         Origin
	Description    string // eb:Description (the table's text unless set)
	Detail         string // eb:ErrorDetail
	RefToMessageID string // eb:Error@refToMessageInError
	Err            error
}

var _ error = (*Error)(nil)

// NewError returns the Error for code with the table's severity, category,
// short name, origin and description. A code missing from the table is a
// programming error: NewError then returns EBMS:0004 Other with the code in
// the detail.
func NewError(code Code, detail string, cause error) *Error {
	info, ok := Lookup(code)
	if !ok {
		info, _ = Lookup(Other)
		detail = fmt.Sprintf("unknown error code %q: %s", code, detail)
	}
	return &Error{
		Code:        info.Code,
		Severity:    info.Severity,
		Category:    info.Category,
		ShortName:   info.ShortName,
		Origin:      info.Origin,
		Description: info.Description,
		Detail:      detail,
		Err:         cause,
	}
}

// Error implements error.
func (e *Error) Error() string {
	s := "ebms: " + string(e.Code)
	if e.ShortName != "" {
		s += " " + e.ShortName
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Public returns a copy fit to send to a peer: without the local cause and,
// for security errors, without detail (STYLE rule 12: peers see generic
// detail for security failures).
func (e *Error) Public() *Error {
	c := *e
	c.Err = nil
	if c.Origin == OriginSecurity {
		c.Detail = ""
	}
	return &c
}

// CodeOf returns the code of the first *Error in err's chain.
func CodeOf(err error) (Code, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return "", false
}
