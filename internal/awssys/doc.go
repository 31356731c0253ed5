// Package awssys is the shared composition of the Lambda functions in functions/: it
// reads the environment (docs/design/functions.md lists every variable), builds the AWS
// SDK clients without the SDK's config loader (Lambda provides region and credentials as
// environment variables), wires the infra/aws adapters into a core/msh Engine, and
// adapts the functions' handlers to the Lambda event shapes: API Gateway HTTP API v2 and
// Function URL requests (payload format 2.0, buffered) and SQS batches with partial
// batch failure reporting.
//
// Handlers only translate; nothing here logs message content.
package awssys
