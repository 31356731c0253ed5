// Command as4-receive is the AS4 receive Lambda (C3): a Function URL or API Gateway HTTP
// API v2 request → the infra/httpx AS4 handler → msh.Engine.Receive on DynamoDB, S3, SQS
// and KMS. Bodies over awssys.MaxBufferedBody get HTTP 413 with an ebMS error signal
// (EBMS:0004); larger messages take the edge front door (edge/, docs/design/functions.md):
// with BREVDUVA_EDGE_SECRET set, the Worker's receive-by-reference calls (edge/byref.Path)
// stream the staged object from BREVDUVA_EDGE_BUCKET into the same handler.
// Without AWS_LAMBDA_RUNTIME_API the same handler serves plain HTTP (BREVDUVA_LISTEN).
package main

import (
	"context"
	"log"

	"github.com/brevduva/brevduva/internal/awssys"
)

func main() {
	env, ctx := awssys.OSEnv(), context.Background()
	logger := awssys.Logger(env)
	clients, err := awssys.NewClients(env)
	if err != nil {
		log.Fatal(err)
	}
	sys, err := awssys.New(ctx, env, clients, logger)
	if err != nil {
		log.Fatal(err)
	}
	byRef, err := awssys.ByRefFromEnv(env, clients)
	if err != nil {
		log.Fatal(err)
	}
	h, err := awssys.NewAS4Routes(sys.Engine, sys.Tenant.ID, sys.Tenant.Profile, byRef, logger)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(awssys.ServeHTTP(env, h))
}
