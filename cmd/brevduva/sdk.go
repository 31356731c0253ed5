package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

func init() {
	register("sdk", "validate an SDK message, XHE or kvittens (sdk validate FILE)", runSDK)
}

func runSDK(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: brevduva sdk validate FILE")
		return 2
	}
	b, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "brevduva sdk validate: %v\n", err)
		return 2
	}
	kind, vs, err := validateAny(b)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva sdk validate: %s: %v\n", args[1], err)
		return 2
	}
	for _, v := range vs {
		fmt.Fprintln(stdout, v.String())
	}
	if len(vs) > 0 {
		r := kvittens.Reject(vs)
		fmt.Fprintf(stderr, "%s: invalid %s (%d violations; REJECTED %s/%s)\n", args[1], kind, len(vs), r.Reason, r.Detail)
		return 1
	}
	fmt.Fprintf(stdout, "%s: valid %s\n", args[1], kind)
	return 0
}

// validateAny detects an SDK message, an XHE (validating an unencrypted SDK message or
// receipt inside it too) or a kvittens, and validates it.
func validateAny(b []byte) (string, []kvittens.Violation, error) {
	if len(b) > sdkmsg.MaxBytes && bytes.Contains(b[:min(len(b), 4096)], []byte(sdkmsg.Namespace)) {
		return "SDK message", sdkmsg.Validate(b), nil
	}
	doc, err := xmlsafe.ParseBytes(bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}), xmlsafe.DefaultLimits)
	if err != nil {
		return "", nil, err
	}
	root := doc.Root()
	if root == nil {
		return "", nil, errors.New("no root element")
	}
	switch {
	case xmlsafe.Is(root, sdkmsg.Namespace, "messagePayload"):
		return "SDK message", sdkmsg.Validate(b), nil
	case xmlsafe.Is(root, kvittens.Namespace, "ApplicationResponse"):
		return "kvittens", kvittens.Validate(root), nil
	case xmlsafe.Is(root, xhe.Namespace, "XHE"):
		vs := xhe.Validate(root)
		if len(vs) == 0 {
			env, err := xhe.Parse(root)
			if err == nil && env.Content != nil {
				switch {
				case xmlsafe.Is(env.Content, sdkmsg.Namespace, "messagePayload"):
					vs = append(vs, sdkmsg.ValidateElement(env.Content)...)
				case xmlsafe.Is(env.Content, kvittens.Namespace, "ApplicationResponse"):
					vs = append(vs, kvittens.Validate(env.Content)...)
				}
			}
		}
		return "XHE", vs, nil
	}
	return "", nil, fmt.Errorf("unknown document {%s}%s: not an SDK message, XHE or kvittens", xmlsafe.NamespaceURI(root), root.Tag)
}

// parseInterspersed parses flags that may come before or after positional arguments
// ("xhe seal --key K MESSAGE.xml --out X"), returning the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
