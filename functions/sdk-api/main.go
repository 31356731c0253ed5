// Command sdk-api is DIGG's SDK API (MT/MK, core/sdkapi) of one tenant as a Lambda behind
// API Gateway HTTP API v2 or a Function URL: submit, query, delete, mailboxes. Access
// tokens are checked against BREVDUVA_OAUTH_ISSUER and BREVDUVA_OAUTH_PUBLIC_KEY and/or an
// OpenID provider (BREVDUVA_OIDC_*, awssys.Verifier).
// Submissions are enqueued (SQS wake-up) for as4-send. Without AWS_LAMBDA_RUNTIME_API the
// same handler serves plain HTTP (BREVDUVA_LISTEN).
package main

import (
	"context"
	"log"

	"github.com/brevduva/brevduva/internal/awssys"
)

func main() {
	env, ctx := awssys.OSEnv(), context.Background()
	logger := awssys.Logger(env)
	auth, err := awssys.Verifier(env)
	if err != nil {
		log.Fatal(err)
	}
	clients, err := awssys.NewClients(env)
	if err != nil {
		log.Fatal(err)
	}
	sys, err := awssys.New(ctx, env, clients, logger)
	if err != nil {
		log.Fatal(err)
	}
	h, err := awssys.NewSDKAPIHandler(env, sys, auth)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(awssys.ServeHTTP(env, h))
}
