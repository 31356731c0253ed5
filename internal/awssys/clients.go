package awssys

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Clients are the AWS SDK clients of a function.
type Clients struct {
	DynamoDB *dynamodb.Client
	S3       *s3.Client
	SQS      *sqs.Client
	KMS      *kms.Client
}

// NewClients builds the SDK clients from the environment Lambda provides (AWS_REGION and
// the execution role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), with
// the BREVDUVA_*_ENDPOINT overrides for local API servers. It does not use the SDK's
// config loader: no files, no IMDS, no extra modules, a faster cold start.
func NewClients(env Env) (*Clients, error) {
	var errs []error
	v := env.need(&errs, EnvRegion)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		c := aws.Credentials{AccessKeyID: env.get(EnvAccessKeyID), SecretAccessKey: env.get(EnvSecretKey),
			SessionToken: env.get(EnvSessionToken), Source: "environment"}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return aws.Credentials{}, fmt.Errorf("%w: %s and %s", ErrMissing, EnvAccessKeyID, EnvSecretKey)
		}
		return c, nil
	})
	region := v[EnvRegion]
	hc := &http.Client{Timeout: 30 * time.Second}
	ep := func(name string) *string {
		if s := env.get(name); s != "" {
			return aws.String(s)
		}
		return nil
	}
	return &Clients{
		DynamoDB: dynamodb.New(dynamodb.Options{Region: region, Credentials: creds, HTTPClient: hc, BaseEndpoint: ep(EnvDynamoDBEndpoint)}),
		S3: s3.New(s3.Options{Region: region, Credentials: creds, HTTPClient: hc, BaseEndpoint: ep(EnvS3Endpoint),
			UsePathStyle: env.get(EnvS3Endpoint) != ""}),
		SQS: sqs.New(sqs.Options{Region: region, Credentials: creds, HTTPClient: hc, BaseEndpoint: ep(EnvSQSEndpoint)}),
		KMS: kms.New(kms.Options{Region: region, Credentials: creds, HTTPClient: hc, BaseEndpoint: ep(EnvKMSEndpoint)}),
	}, nil
}
