package components

import (
	"encoding/json"
	"fmt"
)

// PolicyDocument is an IAM policy document. It marshals to the JSON that IAM
// takes for a role's trust policy or inline policy.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a PolicyDocument.
type PolicyStatement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
}

// PolicyScope names the account, region and Elastic IP that the instance
// role's permissions are scoped to.
type PolicyScope struct {
	// Partition is "aws", "aws-cn" or "aws-us-gov".
	Partition string
	// DNSSuffix is the partition's DNS suffix, such as "amazonaws.com".
	DNSSuffix string
	Region    string
	AccountID string
	// AllocationID is the Elastic IP the instance may take.
	AllocationID string
}

// JSON returns d as compact JSON.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshalling policy document: %w", err)
	}
	return string(b), nil
}

// InstanceTrustPolicy lets EC2, and nothing else, assume the instance role.
func InstanceTrustPolicy(dnsSuffix string) PolicyDocument {
	return PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": "ec2." + dnsSuffix},
			Action:    []string{"sts:AssumeRole"},
		}},
	}
}

// InstancePolicy is the instance role's inline policy: it may move this one
// Elastic IP onto an instance, and read where addresses are.
func InstancePolicy(s PolicyScope) PolicyDocument {
	ec2ARN := func(resource string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", s.Partition, s.Region, s.AccountID, resource)
	}
	return PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{
			{
				// AssociateAddress authorizes every resource the call
				// touches. The address is scoped to its own ARN. The
				// instance cannot be named here, since the group launches
				// it later, so any instance or network interface in this
				// account and region is allowed; whether EC2 checks those
				// ARNs for an --instance-id call is not settled, and
				// allowing them works either way.
				Sid:    "MoveThisElasticIP",
				Effect: "Allow",
				Action: []string{"ec2:AssociateAddress"},
				Resource: []string{
					ec2ARN("elastic-ip/" + s.AllocationID),
					ec2ARN("instance/*"),
					ec2ARN("network-interface/*"),
				},
			},
			{
				// DescribeAddresses supports no resource-level permissions
				// (Service Authorization Reference), so "*" is the only
				// resource AWS accepts. It reads; it changes nothing.
				Sid:      "VerifyTheAssociation",
				Effect:   "Allow",
				Action:   []string{"ec2:DescribeAddresses"},
				Resource: []string{"*"},
			},
		},
	}
}

// SessionManagerPolicyARN is the AWS managed policy that lets Session
// Manager reach the instance's SSM agent, replacing SSH.
func SessionManagerPolicyARN(partition string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/AmazonSSMManagedInstanceCore", partition)
}
