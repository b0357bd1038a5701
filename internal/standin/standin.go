// Package standin is a stand-in for components.SelfHealingInstanceArgs as
// the "composable API" rewrite will shape it: every field tagged
// `pulumi:"camelName,optional"` with the config keys of Pulumi.yaml as
// names, nested arg types as pointers, ingress rules as a slice. Until the
// real args carry those tags, the schema, SDKs and examples are generated
// from these types, and the provider tests construct this package's
// component, which records its arguments instead of creating AWS
// resources.
//
// Once components.SelfHealingInstanceArgs is tagged, nothing but tests and
// cmd/schemagen's -standin flag should use this package; delete it when
// they no longer do.
package standin

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type, the real component's.
const TypeToken = "selfhealing:index:SelfHealingInstance"

// EchoToken is the type of the one child the stand-in registers: a custom
// resource whose inputs are the component's arguments, so that a test's
// resource monitor sees exactly what reached the component.
const EchoToken = "selfhealing:index:ArgsEcho"

// SelfHealingInstanceArgs configures a SelfHealingInstance. The zero value is
// valid: a t3.micro running the latest Amazon Linux 2023 in the default VPC,
// reachable through Session Manager and through no open port.
type SelfHealingInstanceArgs struct {
	// InstanceType is the EC2 instance type. Its architecture, from AWS's
	// instance-type data, picks the Amazon Linux 2023 build.
	InstanceType string `pulumi:"instanceType,optional"`
	// AmiID pins the image. Empty means the latest Amazon Linux 2023 for
	// the instance type, looked up at each deployment. A pinned AMI must
	// provide bash, curl and the AWS CLI.
	AmiID string `pulumi:"amiId,optional"`
	// SubnetIDs are subnets of one VPC that the group may launch into; each
	// must route to the internet. Empty means the default VPC's default
	// subnets, one per Availability Zone.
	SubnetIDs []string `pulumi:"subnetIds,optional"`
	// Ingress lists what may reach the instance. Empty opens nothing. Port
	// 22 is refused: use Session Manager.
	Ingress []IngressRule `pulumi:"ingress,optional"`
	// AllocationID is an existing Elastic IP allocation id to use instead
	// of allocating one, so the address outlives the stack. Never released.
	AllocationID string `pulumi:"allocationId,optional"`
	// RetainOnDelete keeps the Elastic IP that the component allocates
	// when it is deleted.
	RetainOnDelete bool `pulumi:"retainOnDelete,optional"`
	// EnableSessionManager lets Session Manager replace SSH. Default true.
	EnableSessionManager *bool `pulumi:"enableSessionManager,optional"`
	// MetadataHopLimit is the IMDSv2 PUT response hop limit, 1 to 64.
	// Containers on the host need 2.
	MetadataHopLimit int `pulumi:"metadataHopLimit,optional"`
	// HealthCheckGracePeriodSeconds is how long after launch the group
	// waits before it acts on health checks.
	HealthCheckGracePeriodSeconds *int `pulumi:"healthCheckGracePeriodSeconds,optional"`
	// RootVolumeSizeGiB sizes the encrypted gp3 root volume. 0 means the
	// AMI's own size.
	RootVolumeSizeGiB int `pulumi:"rootVolumeSizeGiB,optional"`
	// UserScript runs as root after the Elastic IP is in place. Starts
	// with "#!" to pick an interpreter, else bash. A secret stays secret.
	UserScript pulumi.StringInput `pulumi:"userScript,optional"`
	// Tags are added to every resource, and propagate to the instance and
	// its volumes.
	Tags map[string]string `pulumi:"tags,optional"`
	// DataVolume, when set, gives the instance a persistent, encrypted EBS
	// volume that every replacement attaches and mounts before the user
	// script runs. It pins the group to its Availability Zone.
	DataVolume *DataVolumeArgs `pulumi:"dataVolume,optional"`
	// DNS, if set, publishes the Elastic IP as an A record.
	DNS *DNSArgs `pulumi:"dns,optional"`
	// Schedule, if set, runs the instance only in office hours.
	Schedule *ScheduleArgs `pulumi:"schedule,optional"`
	// Notifications, if set, announces each launch and termination on SNS.
	Notifications *NotificationsArgs `pulumi:"notifications,optional"`
	// LaunchGate keeps each new instance out of service until its boot
	// script reports it ready. Default true.
	LaunchGate *bool `pulumi:"launchGate,optional"`
	// LaunchGateTimeoutSeconds is how long a new instance may take to
	// report ready, 30 to 7200.
	LaunchGateTimeoutSeconds int `pulumi:"launchGateTimeoutSeconds,optional"`
	// AppHealthCheck, if set, has the instance check its application.
	AppHealthCheck *AppHealthCheck `pulumi:"appHealthCheck,optional"`
	// InstanceRefresh replaces the running instance when the launch
	// template changes. Default true.
	InstanceRefresh *bool `pulumi:"instanceRefresh,optional"`
	// Spot runs the instance on Spot capacity only.
	Spot bool `pulumi:"spot,optional"`
	// SpotInstanceTypes are more instance types Spot may use.
	SpotInstanceTypes []string `pulumi:"spotInstanceTypes,optional"`
	// WarmPool keeps one stopped, already booted instance.
	WarmPool bool `pulumi:"warmPool,optional"`
	// Parameters are configuration values stored in Parameter Store and
	// exported to the user script.
	Parameters map[string]string `pulumi:"parameters,optional"`
	// SecretParameters are like Parameters, stored as SecureStrings.
	SecretParameters pulumi.StringMap `pulumi:"secretParameters,optional"`
	// ParametersKMSKeyARN encrypts SecretParameters with a customer
	// managed key.
	ParametersKMSKeyARN string `pulumi:"parametersKmsKeyArn,optional"`
	// Logs, when set, ships the instance's logs to CloudWatch Logs.
	Logs *LogsArgs `pulumi:"logs,optional"`
	// HTTPS, when set, terminates TLS on the instance with nginx and a
	// Let's Encrypt certificate.
	HTTPS *HTTPSArgs `pulumi:"https,optional"`
}

// WithDefaults returns a copy of a with every defaulted zero value filled in.
func (a SelfHealingInstanceArgs) WithDefaults() SelfHealingInstanceArgs {
	yes := func() *bool { b := true; return &b }
	if a.InstanceType == "" {
		a.InstanceType = "t3.micro"
	}
	if a.EnableSessionManager == nil {
		a.EnableSessionManager = yes()
	}
	if a.MetadataHopLimit == 0 {
		a.MetadataHopLimit = 1
	}
	if a.HealthCheckGracePeriodSeconds == nil {
		grace := 300
		a.HealthCheckGracePeriodSeconds = &grace
	}
	if a.LaunchGate == nil {
		a.LaunchGate = yes()
	}
	if a.LaunchGateTimeoutSeconds == 0 {
		a.LaunchGateTimeoutSeconds = 600
	}
	if a.InstanceRefresh == nil {
		a.InstanceRefresh = yes()
	}
	if a.DataVolume != nil {
		v := a.DataVolume.WithDefaults()
		a.DataVolume = &v
	}
	return a
}

// IngressRule opens a port range to a set of CIDR blocks.
type IngressRule struct {
	// Description is shown in the security group.
	Description string `pulumi:"description,optional"`
	// Protocol is "tcp", "udp" or "icmp".
	Protocol string `pulumi:"protocol,optional"`
	// FromPort is the first port of the range.
	FromPort int `pulumi:"fromPort,optional"`
	// ToPort is the last port of the range.
	ToPort int `pulumi:"toPort,optional"`
	// CidrBlocks are IPv4 or IPv6 CIDR blocks.
	CidrBlocks []string `pulumi:"cidrBlocks,optional"`
}

// DataVolumeArgs give the instance a persistent EBS volume.
type DataVolumeArgs struct {
	// VolumeID adopts an existing volume instead of creating one.
	VolumeID string `pulumi:"volumeId,optional"`
	// FormatIfBlank lets the boot script format an adopted volume that is
	// provably new and blank.
	FormatIfBlank bool `pulumi:"formatIfBlank,optional"`
	// SizeGiB sizes the volume; required without volumeId.
	SizeGiB int `pulumi:"sizeGiB,optional"`
	// VolumeType is "gp3", "gp2", "io1" or "io2".
	VolumeType string `pulumi:"volumeType,optional"`
	// IOPS provisions IOPS.
	IOPS int `pulumi:"iops,optional"`
	// ThroughputMiBps provisions gp3 throughput.
	ThroughputMiBps int `pulumi:"throughputMiBps,optional"`
	// KMSKeyARN encrypts the volume with a customer managed key.
	KMSKeyARN string `pulumi:"kmsKeyArn,optional"`
	// AvailabilityZone places the volume.
	AvailabilityZone string `pulumi:"availabilityZone,optional"`
	// MountPath is where the volume is mounted.
	MountPath string `pulumi:"mountPath,optional"`
	// FSType is "ext4" or "xfs".
	FSType string `pulumi:"fsType,optional"`
	// AttachTimeoutSeconds bounds the wait for the volume, 30 to 3600.
	AttachTimeoutSeconds int `pulumi:"attachTimeoutSeconds,optional"`
	// ForceDetach lets the boot script force-detach the volume from a
	// dead predecessor. Default true.
	ForceDetach *bool `pulumi:"forceDetach,optional"`
	// DeletionPolicy is "protect", "retain" or "snapshot-and-delete".
	DeletionPolicy string `pulumi:"deletionPolicy,optional"`
	// Snapshots, when set, takes daily snapshots of the volume.
	Snapshots *SnapshotArgs `pulumi:"snapshots,optional"`
}

// WithDefaults returns a copy of v with every defaulted zero value filled in.
func (v DataVolumeArgs) WithDefaults() DataVolumeArgs {
	if v.VolumeType == "" && v.VolumeID == "" {
		v.VolumeType = "gp3"
	}
	if v.MountPath == "" {
		v.MountPath = "/data"
	}
	if v.FSType == "" {
		v.FSType = "ext4"
	}
	if v.AttachTimeoutSeconds == 0 {
		v.AttachTimeoutSeconds = 300
	}
	if v.ForceDetach == nil {
		yes := true
		v.ForceDetach = &yes
	}
	if v.DeletionPolicy == "" {
		v.DeletionPolicy = "protect"
	}
	return v
}

// SnapshotArgs schedule daily snapshots of the data volume.
type SnapshotArgs struct {
	// TimeUTC is when the daily snapshot starts, "HH:MM" in UTC.
	TimeUTC string `pulumi:"timeUtc,optional"`
	// RetainCount is how many snapshots to keep, 1 to 1000.
	RetainCount int `pulumi:"retainCount,optional"`
	// ExecutionRoleARN is the IAM role DLM acts as.
	ExecutionRoleARN string `pulumi:"executionRoleArn,optional"`
}

// WithDefaults returns a copy of s with every defaulted zero value filled in.
func (s SnapshotArgs) WithDefaults() SnapshotArgs {
	if s.RetainCount == 0 {
		s.RetainCount = 7
	}
	return s
}

// DNSArgs publishes the Elastic IP as an A record in Route 53.
type DNSArgs struct {
	// ZoneID is an existing hosted zone's id.
	ZoneID string `pulumi:"zoneId,optional"`
	// RecordName is the fully qualified name to publish.
	RecordName string `pulumi:"recordName,optional"`
	// TTL is the record's time to live in seconds.
	TTL *int `pulumi:"ttl,optional"`
}

// WithDefaults returns a copy of d with every defaulted zero value filled in.
func (d DNSArgs) WithDefaults() DNSArgs {
	if d.TTL == nil {
		ttl := 60
		d.TTL = &ttl
	}
	return d
}

// ScheduleArgs runs the instance only in office hours.
type ScheduleArgs struct {
	// Stop is a 5-field cron expression.
	Stop string `pulumi:"stop,optional"`
	// Start is a 5-field cron expression.
	Start string `pulumi:"start,optional"`
	// TimeZone is the IANA time zone both are read in.
	TimeZone string `pulumi:"timeZone,optional"`
}

// NotificationsArgs announce launches and terminations on SNS.
type NotificationsArgs struct {
	// TopicArn is an existing SNS topic.
	TopicArn string `pulumi:"topicArn,optional"`
	// CreateTopic has the component create a topic.
	CreateTopic bool `pulumi:"createTopic,optional"`
	// Email, if set, is subscribed to the topic.
	Email string `pulumi:"email,optional"`
}

// AppHealthCheck checks the application on the instance itself.
type AppHealthCheck struct {
	// URL is fetched with GET on the instance.
	URL string `pulumi:"url,optional"`
	// ExpectedStatus is the HTTP status a healthy URL answers.
	ExpectedStatus int `pulumi:"expectedStatus,optional"`
	// Command runs under bash on the instance; exit status 0 is healthy.
	Command string `pulumi:"command,optional"`
	// IntervalSeconds is the time between checks.
	IntervalSeconds int `pulumi:"intervalSeconds,optional"`
	// TimeoutSeconds bounds each check.
	TimeoutSeconds int `pulumi:"timeoutSeconds,optional"`
	// FailureThreshold is how many failures in a row make the instance
	// unhealthy.
	FailureThreshold int `pulumi:"failureThreshold,optional"`
}

// LogsArgs ship the instance's logs to CloudWatch Logs.
type LogsArgs struct {
	// RetentionDays is how long CloudWatch Logs keeps events.
	RetentionDays int `pulumi:"retentionDays,optional"`
	// ExtraFiles are more absolute paths to ship.
	ExtraFiles []string `pulumi:"extraFiles,optional"`
	// KMSKeyARN encrypts the group with a customer managed key.
	KMSKeyARN string `pulumi:"kmsKeyArn,optional"`
}

// HTTPSArgs put nginx with a Let's Encrypt certificate in front of the
// application.
type HTTPSArgs struct {
	// DomainName is the name users reach the instance by.
	DomainName string `pulumi:"domainName,optional"`
	// Email is the Let's Encrypt account's contact.
	Email string `pulumi:"email,optional"`
	// AppPort is the port the application listens on.
	AppPort int `pulumi:"appPort,optional"`
	// Staging uses Let's Encrypt's staging CA.
	Staging bool `pulumi:"staging,optional"`
}

// SelfHealingInstance is one EC2 instance in an Auto Scaling group of one,
// holding a fixed Elastic IP that each replacement instance takes at boot.
type SelfHealingInstance struct {
	pulumi.ResourceState

	// PublicIP is the Elastic IP address.
	PublicIP pulumi.StringOutput `pulumi:"publicIp"`
	// PublicDNS is the Elastic IP's public DNS name.
	PublicDNS pulumi.StringOutput `pulumi:"publicDns"`
	// AllocationID is the Elastic IP's allocation id.
	AllocationID pulumi.StringOutput `pulumi:"allocationId"`
	// AutoScalingGroupName is the name of the group of one.
	AutoScalingGroupName pulumi.StringOutput `pulumi:"autoScalingGroupName"`
	// LaunchTemplateID is the launch template the group launches from.
	LaunchTemplateID pulumi.StringOutput `pulumi:"launchTemplateId"`
	// InstanceRoleArn is the instance role; attach more policies to it to
	// give the instance more permissions.
	InstanceRoleArn pulumi.StringOutput `pulumi:"instanceRoleArn"`
	// SecurityGroupID is the instance's security group.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// DataVolumeID is the persistent data volume's id; empty without one.
	DataVolumeID pulumi.StringOutput `pulumi:"dataVolumeId"`
	// URL reaches the instance: http:// and the DNS record's name, or the
	// Elastic IP when DNS is off.
	URL pulumi.StringOutput `pulumi:"url"`
	// NotificationTopicArn is the SNS topic the group announces launches
	// and terminations on; empty when notifications are off.
	NotificationTopicArn pulumi.StringOutput `pulumi:"notificationTopicArn"`
}

// argsEcho is the stand-in's one child.
type argsEcho struct {
	pulumi.CustomResourceState
}

var instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9-]+$`)

// NewSelfHealingInstance registers the stand-in component and one ArgsEcho
// child whose inputs are args, after the same instanceType check as the
// real component, with the same message.
func NewSelfHealingInstance(ctx *pulumi.Context, name string, args *SelfHealingInstanceArgs, opts ...pulumi.ResourceOption) (*SelfHealingInstance, error) {
	if args == nil {
		args = &SelfHealingInstanceArgs{}
	}
	a := args.WithDefaults()
	if !instanceTypePattern.MatchString(a.InstanceType) {
		return nil, fmt.Errorf("SelfHealingInstance %q: invalid arguments:\ninstanceType %q: want an EC2 instance type such as t3.micro or m7g.large", name, a.InstanceType)
	}
	c := &SelfHealingInstance{}
	if err := ctx.RegisterComponentResource(TypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering SelfHealingInstance %q: %w", name, err)
	}
	echo := &argsEcho{}
	if err := ctx.RegisterResource(EchoToken, name+"-args", ToMap(reflect.ValueOf(a)), echo, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("registering the args echo: %w", err)
	}
	str := func(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }
	c.PublicIP, c.PublicDNS = str("198.51.100.1"), str("ec2-198-51-100-1.compute-1.amazonaws.com")
	c.AllocationID, c.AutoScalingGroupName = echo.ID().ToStringOutput(), str(name)
	c.LaunchTemplateID, c.InstanceRoleArn, c.SecurityGroupID = str("lt-0"), str("arn:aws:iam::123456789012:role/"+name), str("sg-0")
	c.DataVolumeID, c.URL, c.NotificationTopicArn = str(""), str("http://198.51.100.1"), str("")
	outputs := pulumi.Map{}
	for i := range reflect.TypeFor[SelfHealingInstance]().NumField() {
		f := reflect.TypeFor[SelfHealingInstance]().Field(i)
		if tag := f.Tag.Get("pulumi"); tag != "" {
			outputs[tag] = reflect.ValueOf(c).Elem().Field(i).Interface().(pulumi.StringOutput)
		}
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, fmt.Errorf("registering outputs of SelfHealingInstance %q: %w", name, err)
	}
	return c, nil
}

// ToMap turns a tagged args struct into Pulumi inputs, keyed by tag name;
// nil pointers, nil slices and maps, and nil inputs are left out.
func ToMap(v reflect.Value) pulumi.Map {
	out := pulumi.Map{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("pulumi")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if in, ok := toInput(v.Field(i)); ok {
			out[name] = in
		}
	}
	return out
}

func toInput(v reflect.Value) (pulumi.Input, bool) {
	if in, ok := v.Interface().(pulumi.Input); ok {
		if v.Kind() == reflect.Interface && v.IsNil() || v.Kind() == reflect.Map && v.IsNil() {
			return nil, false
		}
		return in, true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false
		}
		return toInput(v.Elem())
	case reflect.Struct:
		return ToMap(v), true
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		arr := pulumi.Array{}
		for i := range v.Len() {
			e, _ := toInput(v.Index(i))
			arr = append(arr, e)
		}
		return arr, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		m := pulumi.Map{}
		for _, k := range v.MapKeys() {
			e, _ := toInput(v.MapIndex(k))
			m[k.String()] = e
		}
		return m, true
	case reflect.String:
		return pulumi.String(v.String()), true
	case reflect.Bool:
		return pulumi.Bool(v.Bool()), true
	case reflect.Int:
		return pulumi.Int(int(v.Int())), true
	}
	return pulumi.Any(v.Interface()), true
}
