package components

import (
	"encoding/json"
	"fmt"

	"github.com/selfhealing-dev/selfhealing/userdata"
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
	// Condition maps a condition operator, such as "StringEquals", to
	// condition keys and their values.
	Condition map[string]map[string]any `json:"Condition,omitempty"`
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
	// DataVolume, when set, is the volume the instance may attach.
	DataVolume *DataVolumeScope

	// AutoScalingGroupName is the instance's group; it scopes the
	// permissions the two fields below give.
	AutoScalingGroupName string
	// LaunchGate lets the instance complete the group's launch hook.
	// Without it, a failed boot marks the instance unhealthy instead.
	LaunchGate bool
	// Parameters, when set, is the Parameter Store path it may read.
	Parameters *ParametersScope
	// Logs, when set, is the log group it may write to.
	Logs *LogsScope
}

// DataVolumeScope names the data volume the instance role may attach.
type DataVolumeScope struct {
	// VolumeID is the volume, such as "vol-0123456789abcdef0".
	VolumeID string
	// ForceDetach allows detaching it from a dead predecessor.
	ForceDetach bool
	// MayFormat allows tagging it userdata.FormattedTagKey, the record
	// that an instance formatted it.
	MayFormat bool
	// KMSKeyARN is the customer managed key the volume is encrypted with;
	// empty for the account's default EBS key.
	KMSKeyARN string
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
	return ServiceTrustPolicy("ec2." + dnsSuffix)
}

// InstancePolicy is the instance role's inline policy: it may move this one
// Elastic IP onto an instance, and read where addresses are; and, as s asks,
// complete its group's launch gate, or report its health to its group.
func InstancePolicy(s PolicyScope) PolicyDocument {
	ec2ARN := func(resource string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", s.Partition, s.Region, s.AccountID, resource)
	}
	doc := PolicyDocument{
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
	if s.DataVolume != nil {
		doc.Statement = append(doc.Statement, dataVolumeStatements(s, *s.DataVolume)...)
	}
	doc.Statement = append(doc.Statement, launchGateStatements(s)...)
	doc.Statement = append(doc.Statement, reportHealthStatements(s)...)
	if s.Parameters != nil {
		doc.Statement = append(doc.Statement, parametersStatements(s, *s.Parameters)...)
	}
	if s.Logs != nil {
		doc.Statement = append(doc.Statement, logsStatements(s, *s.Logs)...)
	}
	return doc
}

// dataVolumeStatements let the instance find its data volume and the
// instance holding it, attach it to itself, and free it from a dead
// predecessor.
func dataVolumeStatements(s PolicyScope, v DataVolumeScope) []PolicyStatement {
	ec2ARN := func(resource string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", s.Partition, s.Region, s.AccountID, resource)
	}
	statements := []PolicyStatement{
		{
			// AttachVolume requires both the volume and the instance. The
			// volume is this one; the instance, launched later by the
			// group, can only be any instance in this account and region.
			Sid:      "AttachThisDataVolume",
			Effect:   "Allow",
			Action:   []string{"ec2:AttachVolume"},
			Resource: []string{ec2ARN("volume/" + v.VolumeID), ec2ARN("instance/*")},
		},
		{
			// Neither action supports resource-level permissions (Service
			// Authorization Reference), so "*" is the only resource AWS
			// accepts. Both only read: the volume's state, and whether the
			// instance holding it is still alive.
			Sid:      "WaitForTheDataVolume",
			Effect:   "Allow",
			Action:   []string{"ec2:DescribeVolumes", "ec2:DescribeInstances"},
			Resource: []string{"*"},
		},
	}
	if v.ForceDetach {
		statements = append(statements, PolicyStatement{
			// DetachVolume requires the volume, scoped to this one. The
			// Service Authorization Reference also lists the instance, so
			// any instance here is allowed, as for AssociateAddress; the
			// volume ARN still limits the call to this volume. The boot
			// script detaches only from a terminated or shutting-down
			// holder.
			Sid:      "FreeThisDataVolumeFromADeadInstance",
			Effect:   "Allow",
			Action:   []string{"ec2:DetachVolume"},
			Resource: []string{ec2ARN("volume/" + v.VolumeID), ec2ARN("instance/*")},
		})
	}
	if v.MayFormat {
		statements = append(statements, PolicyStatement{
			// CreateTags supports the volume as its resource and the
			// aws:TagKeys condition key (Service Authorization Reference,
			// Amazon EC2): this volume, and only the one tag that records
			// that it was formatted. ForAllValues holds for every key the
			// request sets; CreateTags sets at least one.
			Sid:       "RecordThatThisDataVolumeWasFormatted",
			Effect:    "Allow",
			Action:    []string{"ec2:CreateTags"},
			Resource:  []string{ec2ARN("volume/" + v.VolumeID)},
			Condition: map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []string{userdata.FormattedTagKey}}},
		})
	}
	if v.KMSKeyARN != "" {
		statements = append(statements, PolicyStatement{
			// Attaching a volume encrypted with a customer managed key
			// makes EC2 create a grant on the key for the instance, on the
			// caller's authority. Only that: a grant for an AWS resource,
			// requested through EC2 in this region, on this key.
			Sid:      "LetEC2DecryptThisDataVolume",
			Effect:   "Allow",
			Action:   []string{"kms:CreateGrant"},
			Resource: []string{v.KMSKeyARN},
			Condition: map[string]map[string]any{
				"Bool":         {"kms:GrantIsForAWSResource": true},
				"StringEquals": {"kms:ViaService": "ec2." + s.Region + "." + s.DNSSuffix},
			},
		})
	}
	return statements
}

// ServiceTrustPolicy lets one AWS service principal, and nothing else,
// assume a role.
func ServiceTrustPolicy(service string) PolicyDocument {
	return PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sts:AssumeRole"},
		}},
	}
}

// DataLifecycleManagerPolicyARN is the AWS managed policy that lets Amazon
// Data Lifecycle Manager create and delete EBS snapshots.
func DataLifecycleManagerPolicyARN(partition string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole", partition)
}

// SessionManagerPolicyARN is the AWS managed policy that lets Session
// Manager reach the instance's SSM agent, replacing SSH.
func SessionManagerPolicyARN(partition string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/AmazonSSMManagedInstanceCore", partition)
}
