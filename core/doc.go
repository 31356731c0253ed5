// Package core is the root of Brevduva's pure-Go implementation of Sweden's
// Säker digital kommunikation (SDK) on the EU eDelivery building block.
//
// Everything below core/ builds with GOOS=js GOARCH=wasm and imports only the
// standard library, github.com/beevik/etree and github.com/russellhaering/goxmldsig
// (see deps_test.go). Adapters live in infra/, composition roots in functions/
// and cmd/.
package core
