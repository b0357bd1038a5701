// Package policy writes the instance role's IAM documents: its trust policy and
// the one inline policy scoped to the component's own Elastic IP, data volume,
// group, parameters and log group. Pure functions: the component turns a
// Scope into JSON, and the lab's IAM inspector reads the same documents.
package policy

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Document is an IAM policy document. It marshals to the JSON that IAM
// takes for a role's trust policy or inline policy.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
	// Condition maps a condition operator, such as "StringEquals", to
	// condition keys and their values.
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Scope names the account, region and Elastic IP that the instance
// role's permissions are scoped to.
type Scope struct {
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
	// NetworkInterface, when set, is the interface the instance may
	// attach.
	NetworkInterface *NetworkInterfaceScope

	// AutoScalingGroupName is the instance's group. It scopes the
	// instances the Elastic IP and the data volume may go to (by the tag
	// AutoScalingGroupTagKey), and the permissions the two fields below
	// give.
	AutoScalingGroupName string
	// SessionManager lets the SSM agent serve Session Manager sessions
	// (SessionManagerActions), and nothing else of Systems Manager.
	SessionManager bool
	// LaunchGate lets the instance complete the group's launch hook.
	// Without it, a failed boot marks the instance unhealthy instead.
	LaunchGate bool
	// Parameters, when set, is the Parameter Store path it may read.
	Parameters *ParametersScope
	// Logs, when set, is the log group it may write to.
	Logs *LogsScope
	// MetricsNamespace, when not empty, is the one CloudWatch namespace
	// it may publish metrics in.
	MetricsNamespace string
}

// DataVolumeScope names the data volume the instance role may attach.
type DataVolumeScope struct {
	// VolumeID is the volume, such as "vol-0123456789abcdef0".
	VolumeID string
	// ForceDetach allows detaching it from a dead predecessor.
	ForceDetach bool
	// Handover allows what the hand-over needs: detaching the volume from
	// the instance the group terminates, completing the group's
	// termination hook, and asking the group whether the instance holding
	// the volume is in service.
	Handover bool
	// MayFormat allows tagging it userdata.FormattedTagKey, the record
	// that an instance formatted it.
	MayFormat bool
	// KMSKeyARN is the customer managed key the volume is encrypted with;
	// empty for the account's default EBS key.
	KMSKeyARN string
}

// NetworkInterfaceScope names the persistent network interface the
// instance role may attach.
type NetworkInterfaceScope struct {
	// InterfaceID is the interface, such as "eni-0123456789abcdef0".
	InterfaceID string
	// ForceDetach allows detaching it from a dead predecessor.
	ForceDetach bool
}

// JSON returns d as compact JSON.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshalling policy document: %w", err)
	}
	return string(b), nil
}

// InstanceTrust lets EC2, and nothing else, assume the instance role.
func InstanceTrust(dnsSuffix string) Document {
	return ServiceTrust("ec2." + dnsSuffix)
}

// AutoScalingGroupTagKey is the tag EC2 Auto Scaling puts on every instance
// it launches, with the group's name as its value. Tags with the aws:
// prefix are created by AWS and cannot be edited or deleted (EC2 Auto
// Scaling User Guide, "Tag Auto Scaling groups and instances",
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html),
// so no one can give another instance this group's tag. The instance
// policy keys on it to tell the group's own instances from every other
// instance in the account.
const AutoScalingGroupTagKey = "aws:autoscaling:groupName"

// ec2ARN is the ARN of an EC2 resource, "instance/*" say, in s's account and
// region.
func (s Scope) ec2ARN(resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", s.Partition, s.Region, s.AccountID, resource)
}

// thisGroupsInstances allows actions on the instances of s's group, and on
// no other instance. The group launches its instances after the policy is
// written, so no policy can name them; Auto Scaling tags each with
// AutoScalingGroupTagKey, and the Service Authorization Reference for
// Amazon EC2 lists aws:ResourceTag/${TagKey} (and ec2:ResourceTag/${TagKey})
// as condition keys of the instance resource type, which AssociateAddress,
// AttachVolume and DetachVolume all authorize
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
//
// The statement holds instance/* and nothing else, because a statement's
// conditions apply to every resource in it (IAM User Guide, "IAM JSON
// policy elements: Condition"): an Elastic IP or a volume, which carry no
// such tag, would fail it. Each action's other resources are in statements
// of their own, without the condition.
func thisGroupsInstances(s Scope, sid string, action string) Statement {
	return Statement{
		Sid:       sid,
		Effect:    "Allow",
		Action:    []string{action},
		Resource:  []string{s.ec2ARN("instance/*")},
		Condition: map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + AutoScalingGroupTagKey: s.AutoScalingGroupName}},
	}
}

// Instance is the instance role's inline policy: it may move this one
// Elastic IP onto its group's instances, and read where addresses are
// (with a network interface, which carries the address, it attaches that
// instead); and, as s asks, let Session Manager in, complete its group's
// launch gate, or report its health to its group.
func Instance(s Scope) Document {
	doc := Document{Version: "2012-10-17"}
	if s.NetworkInterface == nil {
		doc.Statement = addressStatements(s)
	}
	if s.SessionManager {
		doc.Statement = append(doc.Statement, sessionManagerStatements()...)
	}
	if s.DataVolume != nil {
		doc.Statement = append(doc.Statement, dataVolumeStatements(s, *s.DataVolume)...)
	}
	if s.NetworkInterface != nil {
		doc.Statement = append(doc.Statement, networkInterfaceStatements(s, *s.NetworkInterface)...)
	}
	doc.Statement = append(doc.Statement, launchGateStatements(s)...)
	doc.Statement = append(doc.Statement, reportHealthStatements(s)...)
	if s.Parameters != nil {
		doc.Statement = append(doc.Statement, parametersStatements(s, *s.Parameters)...)
	}
	if s.Logs != nil {
		doc.Statement = append(doc.Statement, logsStatements(s, *s.Logs)...)
	}
	if s.MetricsNamespace != "" {
		doc.Statement = append(doc.Statement, metricsStatement(s.MetricsNamespace))
	}
	return doc
}

// addressStatements let the instance move this one Elastic IP onto its
// group's instances, and read where the address is.
func addressStatements(s Scope) []Statement {
	return []Statement{
		{
			// AssociateAddress authorizes every resource the call
			// touches: the address, scoped to its own ARN here, and
			// the instance and network interface, in the statements
			// below.
			Sid:      "MoveThisElasticIP",
			Effect:   "Allow",
			Action:   []string{"ec2:AssociateAddress"},
			Resource: []string{s.ec2ARN("elastic-ip/" + s.AllocationID)},
		},
		// Onto an instance of this group only.
		thisGroupsInstances(s, "OntoThisGroupsInstances", "ec2:AssociateAddress"),
		{
			// Whether EC2 also authorizes the instance's network
			// interface on an --instance-id call is not settled
			// (quickstart-linux-bastion PR #131), so it is allowed. An
			// interface carries no Auto Scaling tag, and the Service
			// Authorization Reference offers no condition key that
			// ties it to the group's instances, so it cannot be
			// narrowed further than this account and region. The
			// address stays pinned by MoveThisElasticIP: at worst this
			// address moves onto another interface.
			Sid:      "OntoTheirNetworkInterfaces",
			Effect:   "Allow",
			Action:   []string{"ec2:AssociateAddress"},
			Resource: []string{s.ec2ARN("network-interface/*")},
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
	}
}

// SessionManagerActions are what the SSM agent needs for Session Manager,
// and nothing else: the policy AWS documents for a custom instance role
// with minimal Session Manager permissions (AWS Systems Manager User Guide,
// "Create a custom IAM role for Session Manager",
// https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html),
// which is also the AWS managed policy AWSCloud9SSMInstanceProfile. That
// page's s3:GetEncryptionConfiguration and kms:Decrypt are for session logs
// in S3 and for KMS-encrypted sessions, which this component does not set
// up, so they are left out.
//
// The AWS managed policy AmazonSSMManagedInstanceCore is not used: besides
// these, it allows ssm:GetParameter and ssm:GetParameters on "*" (every
// parameter in the account and region), and Run Command, State Manager,
// Patch Manager and Inventory actions, none of which the component uses.
var SessionManagerActions = []string{
	"ssm:UpdateInstanceInformation",
	"ssmmessages:CreateControlChannel",
	"ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel",
	"ssmmessages:OpenDataChannel",
}

// sessionManagerStatements let the SSM agent register the instance and open
// Session Manager's channels.
func sessionManagerStatements() []Statement {
	return []Statement{{
		// None of these actions supports a resource type (Service
		// Authorization Reference, AWS Systems Manager and Amazon Session
		// Manager Message Gateway Service: the Resource types column is
		// empty for each; their only condition keys name the calling
		// instance), so "*" is the only resource AWS accepts. They act on
		// the calling instance's own registration and sessions.
		Sid:      "LetSessionManagerIn",
		Effect:   "Allow",
		Action:   slices.Clone(SessionManagerActions),
		Resource: []string{"*"},
	}}
}

// dataVolumeStatements let the instance find its data volume and the
// instance holding it, attach it to its group's instances, and free it from
// a dead predecessor in its group.
func dataVolumeStatements(s Scope, v DataVolumeScope) []Statement {
	volume := s.ec2ARN("volume/" + v.VolumeID)
	statements := []Statement{
		{
			// AttachVolume requires both the volume and the instance. The
			// volume is this one, here; the instance is one of this
			// group's, in the next statement.
			Sid:      "AttachThisDataVolume",
			Effect:   "Allow",
			Action:   []string{"ec2:AttachVolume"},
			Resource: []string{volume},
		},
		thisGroupsInstances(s, "ToThisGroupsInstances", "ec2:AttachVolume"),
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
	if v.ForceDetach || v.Handover {
		statements = append(statements,
			Statement{
				// DetachVolume requires the volume, scoped to this one. The
				// boot script force-detaches only from a terminated or
				// shutting-down holder; the hand-over detaches only from
				// its own instance, after unmounting.
				Sid:      "FreeThisDataVolumeFromADeadInstance",
				Effect:   "Allow",
				Action:   []string{"ec2:DetachVolume"},
				Resource: []string{volume},
			},
			// The Service Authorization Reference also lists the instance
			// for DetachVolume, with the aws:ResourceTag condition key:
			// the holder, dead or handing over, which is this group's. A
			// terminated instance keeps its tags.
			thisGroupsInstances(s, "FromThisGroupsInstances", "ec2:DetachVolume"),
		)
	}
	if v.Handover {
		statements = append(statements, handoverStatements(s)...)
	}
	if v.MayFormat {
		statements = append(statements, Statement{
			// CreateTags supports the volume as its resource and the
			// aws:TagKeys condition key (Service Authorization Reference,
			// Amazon EC2): this volume, and only the one tag that records
			// that it was formatted. ForAllValues holds for every key the
			// request sets; CreateTags sets at least one.
			Sid:       "RecordThatThisDataVolumeWasFormatted",
			Effect:    "Allow",
			Action:    []string{"ec2:CreateTags"},
			Resource:  []string{volume},
			Condition: map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": []string{userdata.FormattedTagKey}}},
		})
	}
	if v.KMSKeyARN != "" {
		statements = append(statements, Statement{
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

// networkInterfaceStatements let the instance find its persistent network
// interface and the instance holding it, attach it to its group's
// instances, and free it from a dead predecessor in its group. The Service
// Authorization Reference for Amazon EC2
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html)
// lists two required resource types for both AttachNetworkInterface and
// DetachNetworkInterface: instance, which takes the aws:ResourceTag/${TagKey}
// condition key that scopes it to this group's instances, and
// network-interface, scoped here to this interface's ARN.
func networkInterfaceStatements(s Scope, n NetworkInterfaceScope) []Statement {
	eni := s.ec2ARN("network-interface/" + n.InterfaceID)
	statements := []Statement{
		{
			Sid:      "AttachThisNetworkInterface",
			Effect:   "Allow",
			Action:   []string{"ec2:AttachNetworkInterface"},
			Resource: []string{eni},
		},
		thisGroupsInstances(s, "ItsInterfaceToThisGroupsInstances", "ec2:AttachNetworkInterface"),
		{
			// Neither action supports resource-level permissions (Service
			// Authorization Reference: no resource type is listed for
			// them), so "*" is the only resource AWS accepts. Both only
			// read: the interface's state and address, and whether the
			// instance holding it is still alive.
			Sid:      "WaitForTheNetworkInterface",
			Effect:   "Allow",
			Action:   []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"},
			Resource: []string{"*"},
		},
	}
	if n.ForceDetach {
		statements = append(statements,
			Statement{
				// The boot script detaches only from a terminated or
				// shutting-down holder.
				Sid:      "FreeThisNetworkInterfaceFromADeadInstance",
				Effect:   "Allow",
				Action:   []string{"ec2:DetachNetworkInterface"},
				Resource: []string{eni},
			},
			// The dead holder was this group's; a terminated instance
			// keeps its tags.
			thisGroupsInstances(s, "ItsInterfaceFromThisGroupsInstances", "ec2:DetachNetworkInterface"),
		)
	}
	return statements
}

// ServiceTrust lets one AWS service principal, and nothing else,
// assume a role.
func ServiceTrust(service string) Document {
	return Document{
		Version: "2012-10-17",
		Statement: []Statement{{
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

// LogsScope names the log group the instance role may write to.
type LogsScope struct {
	// LogGroupName is the group, such as "/selfhealing/proj/prod/web".
	LogGroupName string
}

// logsStatements let the CloudWatch agent create its streams in this one
// group and put events in them.
func logsStatements(s Scope, l LogsScope) []Statement {
	groupARN := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", s.Partition, s.Region, s.AccountID, l.LogGroupName)
	return []Statement{{
		// CreateLogStream and DescribeLogStreams act on the group,
		// PutLogEvents on a stream in it, "<group ARN>:log-stream:<name>",
		// which "<group ARN>:*" covers; CloudWatch Logs also evaluates
		// group actions against "<group ARN>:*". No logs:CreateLogGroup:
		// the stack creates the group.
		Sid:      "ShipLogsToThisLogGroup",
		Effect:   "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{groupARN, groupARN + ":*"},
	}}
}

// metricsStatement lets the CloudWatch agent publish metrics in namespace
// and no other.
func metricsStatement(namespace string) Statement {
	return Statement{
		// PutMetricData supports no resource type (Service Authorization
		// Reference, Amazon CloudWatch:
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html),
		// so "*" is the only resource AWS accepts; its condition key
		// cloudwatch:namespace narrows it to the agent's namespace
		// (CloudWatch User Guide, "Use condition keys to limit access to
		// CloudWatch namespaces",
		// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
		Sid:       "PublishTheAlarmsMetrics",
		Effect:    "Allow",
		Action:    []string{"cloudwatch:PutMetricData"},
		Resource:  []string{"*"},
		Condition: map[string]map[string]any{"StringEquals": {"cloudwatch:namespace": namespace}},
	}
}

// ParametersScope names the Parameter Store path the instance role may read.
type ParametersScope struct {
	// Path is the component's path, such as "/proj/prod/web".
	Path string
	// Decrypt lets the instance decrypt SecureStrings under Path, through
	// Parameter Store only.
	Decrypt bool
	// KMSKeyARN is the customer managed key they are encrypted with; empty
	// for the AWS managed key alias/aws/ssm.
	KMSKeyARN string
}

// parametersStatements let the instance read its own parameters and
// decrypt them through Parameter Store, and nothing else.
func parametersStatements(s Scope, p ParametersScope) []Statement {
	pathARN := fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", s.Partition, s.Region, s.AccountID, p.Path)
	statements := []Statement{{
		// GetParametersByPath is authorized against the path asked for;
		// "/*" covers the parameters under it, for a recursive read.
		Sid:      "ReadThisInstancesParameters",
		Effect:   "Allow",
		Action:   []string{"ssm:GetParametersByPath"},
		Resource: []string{pathARN, pathARN + "/*"},
	}}
	if !p.Decrypt {
		return statements
	}
	keyARN := p.KMSKeyARN
	if keyARN == "" {
		// The AWS managed key alias/aws/ssm gets its ARN, a random key id,
		// when the account first uses it, so no policy written before the
		// deployment can name it. The conditions do the scoping: only
		// through Parameter Store in this region, and only for parameters
		// under this path, whose ARN SSM puts in the encryption context.
		keyARN = fmt.Sprintf("arn:%s:kms:%s:%s:key/*", s.Partition, s.Region, s.AccountID)
	}
	return append(statements, Statement{
		Sid:      "DecryptThisInstancesSecureStringsThroughSSM",
		Effect:   "Allow",
		Action:   []string{"kms:Decrypt"},
		Resource: []string{keyARN},
		Condition: map[string]map[string]any{
			"StringEquals": {"kms:ViaService": "ssm." + s.Region + "." + s.DNSSuffix},
			"StringLike":   {"kms:EncryptionContext:PARAMETER_ARN": pathARN + "/*"},
		},
	})
}

// reportHealthStatements let the instance mark itself Unhealthy in its own
// group, and in no other, when something on it fails: the app health
// check, and a boot that no launch action waits to ABANDON (without the
// launch gate, and at every later boot with it; see
// userdata/sh/failure_report.sh), so a failed instance never stays in
// service. SetInstanceHealth requires the autoScalingGroup resource
// (Service Authorization Reference). Within a group of one (and its warm
// pool) the only instance it can mark unhealthy is, in effect, itself.
func reportHealthStatements(s Scope) []Statement {
	if s.AutoScalingGroupName == "" {
		return nil
	}
	return []Statement{{
		Sid:      "ReportHealthToThisGroup",
		Effect:   "Allow",
		Action:   []string{"autoscaling:SetInstanceHealth"},
		Resource: []string{autoScalingGroupARN(s)},
	}}
}

// autoScalingGroupARN is the group's ARN for IAM, with "*" in the group-id
// slot, which AWS allows: the id is unknown until the group exists, and the
// name, which is deterministic, pins the group.
func autoScalingGroupARN(s Scope) string {
	return fmt.Sprintf("arn:%s:autoscaling:%s:%s:autoScalingGroup:*:autoScalingGroupName/%s",
		s.Partition, s.Region, s.AccountID, s.AutoScalingGroupName)
}

// launchGateStatements let the instance complete its own group's launch
// hook, and extend it with a heartbeat, and nothing else. Both actions
// require the autoScalingGroup resource (Service Authorization Reference),
// so they are scoped to this group alone.
//
// The gate needs no autoscaling:DescribeAutoScalingInstances: the boot
// script is given the hook's and group's names and reads its instance id
// from the metadata service. (The hand-over asks about another instance,
// and so is granted it, on "*": see handoverStatements.)
func launchGateStatements(s Scope) []Statement {
	if !s.LaunchGate {
		return nil
	}
	return []Statement{{
		Sid:      "CompleteThisGroupsLaunchGate",
		Effect:   "Allow",
		Action:   []string{"autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"},
		Resource: []string{autoScalingGroupARN(s)},
	}}
}

// handoverStatements let the instance complete its own group's termination
// hook once it has let go of the data volume, and let a new instance ask
// the group whether the instance holding the volume is still in service (a
// planned replacement) or terminating (a failure).
// CompleteLifecycleAction requires the autoScalingGroup resource (Service
// Authorization Reference), so it is scoped to this group; no condition
// key names a hook, so the launch gate's hook, if any, is in the same
// scope. DescribeAutoScalingInstances, like every Auto Scaling Describe
// action, supports no resource type, so "*" is the only resource AWS
// accepts; it only reads.
func handoverStatements(s Scope) []Statement {
	return []Statement{
		{
			Sid:      "CompleteThisGroupsHandover",
			Effect:   "Allow",
			Action:   []string{"autoscaling:CompleteLifecycleAction"},
			Resource: []string{autoScalingGroupARN(s)},
		},
		{
			Sid:      "FindTheInstanceHoldingTheDataVolume",
			Effect:   "Allow",
			Action:   []string{"autoscaling:DescribeAutoScalingInstances"},
			Resource: []string{"*"},
		},
	}
}
