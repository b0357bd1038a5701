package emulator

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// DefaultRegion is the region the environment uses unless told otherwise.
// moto's built-in AMIs and default VPC exist in every region; us-east-1 is
// also the metadata mock's default.
const DefaultRegion = "us-east-1"

// Credentials are static AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is optional.
	SessionToken string
}

// TestCredentials are the dummy credentials moto accepts while IAM
// enforcement is off. They are what moto's own documentation recommends, and
// are obviously not real.
var TestCredentials = Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}

// orDefault returns c, or TestCredentials if c has no access key.
func (c Credentials) orDefault() Credentials {
	if c.AccessKeyID == "" {
		return TestCredentials
	}
	return c
}

// AWSConfig returns an aws-sdk-go-v2 configuration that sends every request
// to endpoint (moto, or a [FaultProxy] in front of it) in region, signed with
// creds ([TestCredentials] if creds is the zero value).
//
// Unlike config.LoadDefaultConfig it reads nothing from the environment or
// from ~/.aws, so a developer's profile cannot leak into a test. SDK retries
// keep their defaults; set RetryMaxAttempts on the result to change them.
func AWSConfig(endpoint, region string, creds Credentials) aws.Config {
	creds = creds.orDefault()
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)),
	}
}
