package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Defaults the component applies to fields left at their zero value. The
// program's Pulumi.yaml declares the same defaults; a test keeps them equal.
const (
	// DefaultInstanceType is small and burstable; enough for a bastion.
	DefaultInstanceType = "t3.micro"
	// DefaultMetadataHopLimit keeps instance credentials on the host. Set
	// 2 if containers on the host must reach the metadata service.
	DefaultMetadataHopLimit = 1
	// DefaultHealthCheckGracePeriodSeconds matches the AWS provider and the
	// console. The API's own default is 0.
	DefaultHealthCheckGracePeriodSeconds = 300
)

// SelfHealingInstanceArgs configures a SelfHealingInstance. The zero value is
// valid: a t3.micro running the latest Amazon Linux 2023 in the default VPC,
// reachable through Session Manager and through no open port.
//
// As in Pulumi's own components, a value that flows (an id, an ARN, a CIDR
// block, a script, a tag) is a Pulumi input, so another resource's output
// can be passed straight in; a switch that decides which resources exist
// (a data volume, Spot, DNS, HTTPS) is a plain Go value. A literal input,
// such as pulumi.String("subnet-0123456789abcdef0"), is checked before any
// resource is created, during `pulumi preview`; an output is checked when it
// resolves, and a bad value fails the deployment with the same message.
//
// Each field's `pulumi` tag is its name in the stack's configuration and in
// the package schema that the TypeScript, Python and YAML SDKs use.
type SelfHealingInstanceArgs struct {
	// InstanceType is the EC2 instance type. Empty means
	// DefaultInstanceType.
	InstanceType string `pulumi:"instanceType,optional"`

	// AmiID pins the image. Empty means the latest Amazon Linux 2023 for the
	// instance type's architecture, looked up at each deployment. A pinned
	// image must have the instance type's architecture and must provide
	// bash, curl and the AWS CLI, which the boot script needs.
	AmiID string `pulumi:"amiId,optional"`

	// SubnetIDs are the subnets the group may launch into, all in one VPC,
	// such as a VPC's public subnets created in the same program. Nil means
	// the default VPC's default subnets, one per Availability Zone, so that
	// healing survives the loss of a zone. An empty list is an error. Each
	// subnet must give the instance a route to the AWS APIs before it holds
	// the Elastic IP: the launch template asks for a public IPv4 address,
	// so a public subnet is enough.
	SubnetIDs pulumi.StringArrayInput `pulumi:"subnetIds,optional"`

	// Ingress lists what may reach the instance. Empty, the default, opens
	// nothing. Port 22 is refused: use Session Manager instead.
	Ingress []IngressRule `pulumi:"ingress,optional"`

	// AllocationID brings an existing Elastic IP (such as
	// "eipalloc-0123456789abcdef0") instead of allocating one, so that the
	// address can outlive this stack. The component never releases it.
	AllocationID pulumi.StringInput `pulumi:"allocationId,optional"`

	// RetainOnDelete keeps the Elastic IP the component allocates when the
	// component is deleted, so the address survives `pulumi destroy`. It
	// covers the address only, the one thing a new stack cannot recreate
	// as it was: the data volume follows
	// [DataVolumeArgs.DeletionPolicy], and every other resource is
	// created again as before by the next `pulumi up`.
	RetainOnDelete bool `pulumi:"retainOnDelete,optional"`

	// EnableSessionManager lets Session Manager replace SSH, with only the
	// five actions AWS documents for it. Nil means true. Without it and
	// without [SelfHealingInstanceArgs.Ingress] rules, nobody can log in.
	// The component never attaches AmazonSSMManagedInstanceCore, which also
	// lets the instance read every parameter in the account and region;
	// attach it, or what Run Command, Patch Manager or Inventory need, to
	// the role [SelfHealingInstance.InstanceRoleName] names yourself if you
	// use those.
	EnableSessionManager *bool `pulumi:"enableSessionManager,optional"`

	// MetadataHopLimit is the IMDSv2 PUT response hop limit, 1 to 64. Nil
	// means DefaultMetadataHopLimit; containers on the host need 2.
	MetadataHopLimit *int `pulumi:"metadataHopLimit,optional"`

	// HealthCheckGracePeriodSeconds is how long the group waits after launch
	// before it acts on health checks. Nil means
	// DefaultHealthCheckGracePeriodSeconds; 0 is allowed.
	HealthCheckGracePeriodSeconds *int `pulumi:"healthCheckGracePeriodSeconds,optional"`

	// RootVolumeSizeGiB sizes the encrypted gp3 root volume. Zero means the
	// image's own size; a smaller size than the image's is an error.
	RootVolumeSizeGiB int `pulumi:"rootVolumeSizeGiB,optional"`

	// UserScript runs as root before the instance takes the Elastic IP,
	// whose address it gets as SELFHEALING_PUBLIC_IP. A script that
	// starts with "#!" runs with that interpreter, otherwise with bash. With
	// the boot script it must fit EC2's 16 KB user-data limit. A secret
	// output (a Pulumi secret) keeps the launch template's user data a
	// secret in the state and in previews; better still, keep secrets out
	// of user data and have the script fetch them at boot.
	UserScript pulumi.StringInput `pulumi:"userScript,optional"`

	// DataVolume, when set, gives the instance a persistent, encrypted EBS
	// volume that every replacement attaches and mounts before the user
	// script runs. It pins the group to the volume's Availability Zone.
	DataVolume *DataVolumeArgs `pulumi:"dataVolume,optional"`

	// NetworkInterface, when set, gives the instance a persistent elastic
	// network interface, whose private IPv4 address outlives instances and
	// which carries the Elastic IP. It pins the group to the interface's
	// subnet.
	NetworkInterface *NetworkInterfaceArgs `pulumi:"networkInterface,optional"`

	// Tags are added to every resource that takes tags, and propagate to the
	// instance and its volumes.
	Tags pulumi.StringMapInput `pulumi:"tags,optional"`

	// DNS, if set, publishes the Elastic IP as an A record in a Route 53
	// hosted zone. Unset, nothing is published.
	DNS *DNSArgs `pulumi:"dns,optional"`

	// Schedule, if set, runs the instance only in office hours. Unset, the
	// instance runs around the clock.
	Schedule *ScheduleArgs `pulumi:"schedule,optional"`

	// Notifications, if set, announces each launch and termination of the
	// instance on an SNS topic. Unset, nothing is announced.
	Notifications *NotificationsArgs `pulumi:"notifications,optional"`

	// Alarms, if set, creates CloudWatch alarms on the group that publish
	// to the notifications topic; it needs
	// [SelfHealingInstanceArgs.Notifications]. Unset, there are none.
	Alarms *AlarmsArgs `pulumi:"alarms,optional"`

	// LaunchGate keeps each new instance out of service, behind a
	// launch lifecycle hook (LaunchGateHookName), until its boot script
	// reports it ready; `pulumi up` then succeeds only once a ready
	// instance exists. Nil means true. Without it, a boot that fails marks
	// its instance Unhealthy in its group, which replaces it.
	LaunchGate *bool `pulumi:"launchGate,optional"`
	// LaunchGateTimeoutSeconds is how long a new instance may take to report
	// ready before the group abandons (terminates) it, 30 to 7200. Nil
	// means DefaultLaunchGateTimeoutSeconds. Only with the launch gate.
	LaunchGateTimeoutSeconds *int `pulumi:"launchGateTimeoutSeconds,optional"`

	// AppHealthCheck, if set, has the instance check its application and
	// mark itself unhealthy when the check keeps failing.
	AppHealthCheck *AppHealthCheck `pulumi:"appHealthCheck,optional"`

	// InstanceRefresh replaces the running instance when the launch
	// template changes (a new AMI, a changed script) at `pulumi up`:
	// launching the new one first, which takes the address (and the data
	// volume, handed over) from the old one, unless a network interface
	// makes it terminate the old one first. Nil means true. Off, a change
	// applies to the next instance the group launches.
	InstanceRefresh *bool `pulumi:"instanceRefresh,optional"`

	// Spot runs the instance on Spot capacity only, from
	// [SelfHealingInstanceArgs.InstanceType] and
	// [SelfHealingInstanceArgs.SpotInstanceTypes]. An interruption is healed
	// like any other loss.
	Spot bool `pulumi:"spot,optional"`
	// SpotInstanceTypes are more instance types Spot may use after
	// [SelfHealingInstanceArgs.InstanceType], of the same architecture.
	// Only with [SelfHealingInstanceArgs.Spot].
	SpotInstanceTypes []string `pulumi:"spotInstanceTypes,optional"`

	// WarmPool keeps one already booted instance, stopped unless
	// [SelfHealingInstanceArgs.WarmPoolState] says otherwise, for the group
	// to put into service instead of launching a new one. Not with
	// [SelfHealingInstanceArgs.Spot].
	WarmPool bool `pulumi:"warmPool,optional"`
	// WarmPoolState is how the warm pool keeps its instance: "Stopped"
	// (the default) or "Running", which costs a running instance and saves
	// the start and the boot. Only with [SelfHealingInstanceArgs.WarmPool].
	WarmPoolState string `pulumi:"warmPoolState,optional"`

	// Parameters are configuration values, stored as Parameter Store
	// Strings under "/<project>/<stack>/<name>/<key>". At boot, before the
	// user script, the instance loads every parameter under that path and
	// gives each to the user script as an environment variable named
	// after its key: "db-host" becomes DB_HOST. The boot script's own shell
	// never sees them, and keys whose variable bash, the loader or the
	// locale give a meaning (PATH, IFS, BASH_ENV, LD_PRELOAD, LANG, ...)
	// are refused. Keys are plain (each is a resource); values are inputs.
	Parameters map[string]pulumi.StringInput `pulumi:"parameters,optional"`
	// SecretParameters are like [SelfHealingInstanceArgs.Parameters],
	// stored as SecureStrings and
	// kept as Pulumi secrets in the state. Their values are never logged
	// nor quoted in errors.
	SecretParameters map[string]pulumi.StringInput `pulumi:"secretParameters,optional"`
	// ParametersKMSKeyARN encrypts [SelfHealingInstanceArgs.SecretParameters]
	// with a customer managed key, given as a key ARN. Empty means the AWS
	// managed key alias/aws/ssm.
	ParametersKMSKeyARN pulumi.StringInput `pulumi:"parametersKmsKeyArn,optional"`

	// Logs, when set, ships the instance's logs to a CloudWatch Logs group
	// that outlives it.
	Logs *LogsArgs `pulumi:"logs,optional"`

	// HTTPS, when set, terminates TLS on the instance with nginx and a
	// Let's Encrypt certificate, in front of the application, and opens
	// ports 80 and 443.
	HTTPS *HTTPSArgs `pulumi:"https,optional"`
}

// IngressRule opens a port range to a set of CIDR blocks.
type IngressRule struct {
	// Description is shown in the security group; it is optional.
	Description string `pulumi:"description,optional"`
	// Protocol is "tcp", "udp" or "icmp".
	Protocol string `pulumi:"protocol"`
	// FromPort is the first port of the range (for ICMP, the type, or -1
	// for all).
	FromPort int `pulumi:"fromPort"`
	// ToPort is the last port of the range, inclusive (for ICMP, the code,
	// or -1 for all).
	ToPort int `pulumi:"toPort"`
	// CidrBlocks are IPv4 or IPv6 CIDR blocks, such as "203.0.113.0/24", or
	// a VPC's CIDR block from the same program.
	CidrBlocks pulumi.StringArrayInput `pulumi:"cidrBlocks"`
}

// WithDefaults returns a copy of a with every unset field that has a
// default filled in, nested arguments included. The component's plan
// applies it, once; the package schema reads the defaults from it.
func (a SelfHealingInstanceArgs) WithDefaults() SelfHealingInstanceArgs {
	if a.InstanceType == "" {
		a.InstanceType = DefaultInstanceType
	}
	a.EnableSessionManager = orDefault(a.EnableSessionManager, true)
	a.MetadataHopLimit = orDefault(a.MetadataHopLimit, DefaultMetadataHopLimit)
	a.HealthCheckGracePeriodSeconds = orDefault(a.HealthCheckGracePeriodSeconds, DefaultHealthCheckGracePeriodSeconds)
	a.LaunchGate = orDefault(a.LaunchGate, true)
	if *a.LaunchGate {
		a.LaunchGateTimeoutSeconds = orDefault(a.LaunchGateTimeoutSeconds, DefaultLaunchGateTimeoutSeconds)
	}
	a.InstanceRefresh = orDefault(a.InstanceRefresh, true)
	if a.WarmPool && a.WarmPoolState == "" {
		a.WarmPoolState = WarmPoolStopped
	}
	if a.DataVolume != nil {
		volume := a.DataVolume.WithDefaults()
		a.DataVolume = &volume
	}
	if a.NetworkInterface != nil {
		eni := a.NetworkInterface.withDefaults(a.DataVolume != nil)
		a.NetworkInterface = &eni
	}
	if a.AppHealthCheck != nil {
		check := a.AppHealthCheck.WithDefaults()
		a.AppHealthCheck = &check
	}
	if a.DNS != nil {
		dns := a.DNS.WithDefaults()
		a.DNS = &dns
	}
	return a
}

// orDefault returns p, or a pointer to def when p is nil.
func orDefault[T any](p *T, def T) *T {
	if p == nil {
		return &def
	}
	return p
}
