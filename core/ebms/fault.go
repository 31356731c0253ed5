package ebms

import "time"

// FaultContentType is the media type of a SOAP 1.2 envelope (SOAP 1.2 Part 2 §7.1.4,
// RFC 3902) as an error signal bound to a SOAP fault is sent.
const FaultContentType = "application/soap+xml; charset=UTF-8"

// UnsignedFault returns the bytes of a SOAP 1.2 fault envelope carrying an error signal of
// e (ebMS 3.0 Core §6.6, FaultEnvelope), unsigned: for the answers an HTTP front writes
// before a message reaches the engine, which alone signs. id is the eb:Messaging wsu:Id,
// messageID the signal's MessageId, at its Timestamp (sent as UTC). A nil e is a
// programming error and panics.
func UnsignedFault(id, messageID string, at time.Time, e *Error) []byte {
	env, err := FaultEnvelope(ErrorSignal(id, messageID, "", at.UTC(), e))
	var b []byte
	if err == nil {
		b, err = env.Bytes()
	}
	if err != nil {
		panic("internal error: ebms fault: " + err.Error())
	}
	return b
}
