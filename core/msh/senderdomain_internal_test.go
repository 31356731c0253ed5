package msh

import "testing"

func TestTopDomain(t *testing.T) {
	for in, want := range map[string]string{
		"0203:sdk.kommun-a.se": "se", "0203:Kommun-B.SE": "se", "ap.kommun-a.se": "se",
		"AP0007-OPEN-TEST": "", "0203:nodot": "", "0203:trailing.": "", "": "",
	} {
		if got := topDomain(in); got != want {
			t.Errorf("topDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
