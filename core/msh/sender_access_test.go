package msh_test

import (
	"context"
	"errors"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/sdkmsg"
)

// TestSubmitSenderMustBeTenant: a tenant cannot submit as another organisation (sender
// participant) nor from a function address it does not have (senderAttention); its own
// function address is accepted.
func TestSubmitSenderMustBeTenant(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	withSenderFA := func(n int, from, fa string) []byte {
		m, err := sdkmsg.Parse(enginetest.SDKMessage(t, enginetest.ID(n), from, enginetest.PartB, enginetest.FnB))
		if err != nil {
			t.Fatal(err)
		}
		m.Sender.Attention = &sdkmsg.Attention{FunctionAddress: fa}
		b, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	submit := func(b []byte) error {
		_, err := w.A.Engine.Submit(context.Background(), w.A.Tenant.ID, msh.Submission{Message: b})
		return err
	}
	for name, b := range map[string][]byte{
		"other participant":      withSenderFA(951, enginetest.PartB, enginetest.FnA),
		"other function address": withSenderFA(952, enginetest.PartA, enginetest.FnB),
		"unknown address":        withSenderFA(953, enginetest.PartA, "nobody"),
	} {
		if err := submit(b); !errors.Is(err, msh.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := submit(withSenderFA(954, enginetest.PartA, enginetest.FnA)); err != nil {
		t.Fatalf("own function address: %v", err)
	}
}
