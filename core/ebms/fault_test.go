package ebms

import (
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// TestUnsignedFault parses the bytes back: a Receiver fault for a Communication error,
// the signal's ids and a UTC timestamp; a nil error panics.
func TestUnsignedFault(t *testing.T) {
	at := time.Date(2026, 11, 27, 7, 8, 9, 0, time.FixedZone("CET", 3600))
	b := UnsignedFault("_f1", "f1@brevduva", at, NewError(ConnectionFailure, "origin down", nil))
	env, err := soap.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := env.Fault(); err != nil || f.Code != soap.Receiver || f.Reason != "ConnectionFailure" {
		t.Errorf("fault %+v, %v", f, err)
	}
	m, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	s := m.SignalMessage
	if m.ID != "_f1" || s.Info.MessageID != "f1@brevduva" || !s.Info.Timestamp.Equal(at) ||
		s.Info.Timestamp.Location() != time.UTC || s.Errors[0].Code != ConnectionFailure {
		t.Errorf("signal %+v, messaging id %q", s, m.ID)
	}
	defer func() {
		if recover() == nil {
			t.Error("UnsignedFault(nil) did not panic")
		}
	}()
	UnsignedFault("_f2", "f2@brevduva", at, nil)
}
