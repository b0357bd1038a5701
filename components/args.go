package components

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
// Fields are plain Go values, not Pulumi inputs, so that every one of them is
// checked before any resource is created, during `pulumi preview`.
type SelfHealingInstanceArgs struct {
	// InstanceType is the EC2 instance type. Default DefaultInstanceType.
	InstanceType string

	// AmiID pins the image. Empty means the latest Amazon Linux 2023 for the
	// instance type's architecture, looked up at each deployment. A pinned
	// image must have the instance type's architecture and must provide
	// bash, curl and the AWS CLI, which the boot script needs.
	AmiID string

	// SubnetIDs are the subnets the group may launch into, all in one VPC.
	// Nil means the default VPC's default subnets, one per Availability
	// Zone, so that healing survives the loss of a zone. An empty, non-nil
	// list is an error. Each subnet must give the instance a route to the
	// AWS APIs before it holds the Elastic IP: the launch template asks for
	// a public IPv4 address, so a public subnet is enough.
	SubnetIDs []string

	// Ingress lists what may reach the instance. Empty, the default, opens
	// nothing. Port 22 is refused: use Session Manager instead.
	Ingress []IngressRule

	// AllocationID brings an existing Elastic IP (such as
	// "eipalloc-0123456789abcdef0") instead of allocating one, so that the
	// address can outlive this stack. The component never releases it.
	AllocationID string

	// RetainOnDelete keeps the Elastic IP the component allocates when the
	// component is deleted, so the address survives `pulumi destroy`.
	RetainOnDelete bool

	// DisableSessionManager leaves out the instance policy's Session
	// Manager statement (SessionManagerActions). Without it and without
	// Ingress rules, nobody can log in. The component never attaches
	// AmazonSSMManagedInstanceCore, which also lets the instance read every
	// parameter in the account and region; attach it, or what Run Command,
	// Patch Manager or Inventory need, to InstanceRoleArn's role yourself
	// if you use those.
	DisableSessionManager bool

	// MetadataHopLimit is the IMDSv2 PUT response hop limit, 1 to 64.
	// Zero means DefaultMetadataHopLimit.
	MetadataHopLimit int

	// HealthCheckGracePeriodSeconds is how long the group waits after launch
	// before it acts on health checks. Nil means
	// DefaultHealthCheckGracePeriodSeconds; 0 is allowed.
	HealthCheckGracePeriodSeconds *int

	// RootVolumeSizeGiB sizes the encrypted gp3 root volume. Zero means the
	// image's own size; a smaller size than the image's is an error.
	RootVolumeSizeGiB int

	// UserScript runs as root after the Elastic IP is in place. A script that
	// starts with "#!" runs with that interpreter, otherwise with bash. With
	// the boot script it must fit EC2's 16 KB user-data limit.
	UserScript string

	// UserScriptIsSecret stores the launch template's user data as a Pulumi
	// secret, encrypted in the state and hidden in previews. The program
	// sets it when the userScript config value is secret. Better still,
	// keep secrets out of user data: have the script fetch them at boot.
	UserScriptIsSecret bool

	// DataVolume, when set, gives the instance a persistent, encrypted EBS
	// volume that every replacement attaches and mounts before the user
	// script runs. It pins the group to the volume's Availability Zone.
	DataVolume *DataVolumeArgs

	// Tags are added to every resource that takes tags, and propagate to the
	// instance and its volumes.
	Tags map[string]string

	// DNS, if set, publishes the Elastic IP as an A record in a Route 53
	// hosted zone. Nil publishes nothing.
	DNS *DNSArgs

	// Schedule, if set, runs the instance only in office hours. Nil runs it
	// around the clock.
	Schedule *ScheduleArgs

	// Notifications, if set, announces each launch and termination of the
	// instance on an SNS topic. Nil announces nothing.
	Notifications *NotificationsArgs
	// DisableLaunchGate turns off the launch lifecycle hook that keeps a new
	// instance out of service until its boot script reports it ready. See
	// LaunchGateHookName. Without it, a boot that fails marks its instance
	// Unhealthy in its group, which replaces it.
	DisableLaunchGate bool
	// LaunchGateTimeoutSeconds is how long a new instance may take to report
	// ready before the group abandons (terminates) it, 30 to 7200. Zero
	// means DefaultLaunchGateTimeoutSeconds.
	LaunchGateTimeoutSeconds int

	// AppHealthCheck, if set, has the instance check its application and
	// mark itself unhealthy when the check keeps failing.
	AppHealthCheck *AppHealthCheck

	// DisableInstanceRefresh stops a changed launch template (a new AMI, a
	// changed script) from replacing the running instance at `pulumi up`;
	// it then applies to the next instance the group launches.
	DisableInstanceRefresh bool

	// Spot runs the instance on Spot capacity only, from instanceType and
	// SpotInstanceTypes. An interruption is healed like any other loss.
	Spot bool
	// SpotInstanceTypes are more instance types Spot may use after
	// InstanceType, of the same architecture. Only with Spot.
	SpotInstanceTypes []string

	// WarmPool keeps one stopped, already booted instance for the group to
	// start instead of launching a new one. Not with Spot.
	WarmPool bool
	// Parameters are configuration values, stored as Parameter Store
	// Strings under "/<project>/<stack>/<name>/<key>". At boot, before the
	// user script, the instance loads every parameter under that path into
	// userdata.ConfigEnvFile and gives each to the user script as an
	// environment variable named userdata.EnvName(key): "db-host" becomes
	// DB_HOST. The boot script's own shell never sees them, and keys whose
	// variable bash, the loader or the locale give a meaning (PATH, IFS,
	// BASH_ENV, LD_PRELOAD, LANG, ...) are refused: see
	// userdata.EnvNameProblem.
	Parameters map[string]string
	// SecretParameters are like Parameters, stored as SecureStrings and
	// kept as Pulumi secrets in the state. Their values are never logged.
	SecretParameters map[string]string
	// ParametersKMSKeyARN encrypts SecretParameters with a customer managed
	// key. Empty means the AWS managed key alias/aws/ssm.
	ParametersKMSKeyARN string

	// Logs, when set, ships the instance's logs to a CloudWatch Logs group
	// that outlives it.
	Logs *LogsArgs

	// HTTPS, when set, terminates TLS on the instance with nginx and a
	// Let's Encrypt certificate, in front of the application, and opens
	// ports 80 and 443.
	HTTPS *HTTPSArgs
}

// IngressRule opens a port range to a set of CIDR blocks.
type IngressRule struct {
	// Description is shown in the security group; it is optional.
	Description string
	// Protocol is "tcp", "udp" or "icmp".
	Protocol string
	// FromPort and ToPort bound the port range, inclusive (for ICMP, the
	// type and code, or -1 for all).
	FromPort int
	ToPort   int
	// CidrBlocks are IPv4 or IPv6 CIDR blocks, such as "203.0.113.0/24".
	CidrBlocks []string
}

// withDefaults returns a copy of a with every defaulted zero value filled in.
func (a SelfHealingInstanceArgs) withDefaults() SelfHealingInstanceArgs {
	if a.InstanceType == "" {
		a.InstanceType = DefaultInstanceType
	}
	if a.MetadataHopLimit == 0 {
		a.MetadataHopLimit = DefaultMetadataHopLimit
	}
	if a.HealthCheckGracePeriodSeconds == nil {
		grace := DefaultHealthCheckGracePeriodSeconds
		a.HealthCheckGracePeriodSeconds = &grace
	}
	if a.DataVolume != nil {
		volume := a.DataVolume.withDefaults()
		a.DataVolume = &volume
	}
	return a
}
