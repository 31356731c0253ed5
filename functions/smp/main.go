// Command smp is the SMP (SMP1 with CertPub, core/smp) as a Lambda behind API Gateway
// HTTP API v2 or a Function URL, on the DynamoDB registration store (dynamo.SMPStore),
// signing with a KMS key. Without AWS_LAMBDA_RUNTIME_API the same handler serves plain
// HTTP (BREVDUVA_LISTEN).
package main

import (
	"context"
	"log"

	"github.com/brevduva/brevduva/internal/awssys"
)

func main() {
	env := awssys.OSEnv()
	clients, err := awssys.NewClients(env)
	if err != nil {
		log.Fatal(err)
	}
	h, err := awssys.NewSMPHandler(context.Background(), env, clients)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(awssys.ServeHTTP(env, h))
}
