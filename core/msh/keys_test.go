package msh_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
)

func TestValidateTenant(t *testing.T) {
	for _, ok := range []string{"a", "kommun-a", "Tenant_1.prod", strings.Repeat("x", msh.MaxTenantBytes)} {
		if err := msh.ValidateTenant(ok); err != nil {
			t.Errorf("ValidateTenant(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "å", "a\x00", strings.Repeat("x", msh.MaxTenantBytes+1)} {
		if err := msh.ValidateTenant(bad); !errors.Is(err, msh.ErrInvalid) {
			t.Errorf("ValidateTenant(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"m", "urn:uuid:1@x", "åäö", "../x", strings.Repeat("x", msh.MaxIDBytes)} {
		if err := msh.ValidateID("id", ok); err != nil {
			t.Errorf("ValidateID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a\nb", "a\x00", "a\x7f", "a\u0085", "\xff", strings.Repeat("x", msh.MaxIDBytes+1)} {
		if err := msh.ValidateID("id", bad); !errors.Is(err, msh.ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
