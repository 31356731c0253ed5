// Command as4-send is the SQS-triggered worker Lambda: each sqsqueue wake-up signal
// drains the tenant's due work items with msh.Engine.RunOnce — AS4 sends with reception
// awareness and MT deliveries alike (one queue carries both), reporting partial batch
// failures (events.SQSEventResponse). docs/design/functions.md explains the split.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

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
	lambda.Start(awssys.SQSSignals(sys.Engine, sys.Tenant.ID, logger))
}
