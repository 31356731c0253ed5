//go:build js && wasm

// Command edge is Brevduva's Cloudflare Worker (github.com/syumai/workers): the public face
// of a regional tenant that serves the web client (static assets), cached lookups and the
// AS4 front door for messages larger than a buffered Lambda takes. The request handling
// is edge/front; this file wires it to workerd's fetch, Cache API, request.cf and the
// Worker's variables and secrets. See edge/README.md.
package main

import (
	"net/http"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/brevduva/brevduva/edge/front"
)

func main() {
	workers.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg, err := front.ConfigFromEnv(cloudflare.Getenv)
		if err != nil {
			http.Error(w, "worker misconfigured", http.StatusInternalServerError)
			println(err.Error()) // to the Worker's log (wrangler tail), never to the client
			return
		}
		deps := front.Deps{HTTP: jsFetch{}, Cache: cfCache{}, ClientCert: clientCert}
		if cloudflare.Getenv(front.EnvDebugMemory) == "true" {
			deps.Memory = (&memProbe{}).sample
		}
		h, err := front.New(cfg, deps)
		if err != nil {
			http.Error(w, "worker misconfigured", http.StatusInternalServerError)
			return
		}
		streamBody(r)
		h.ServeHTTP(w, r)
	}))
}
