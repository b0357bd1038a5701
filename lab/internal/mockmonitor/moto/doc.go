// Package moto is a Pulumi mock resource monitor (pulumi.WithMocks) backed
// by a real AWS emulator, moto_server. Where internal/mockmonitor/fake invents ids and
// answers, this monitor creates every resource the program registers in moto
// through the AWS SDK for Go v2, answers every invoke by asking moto, and
// returns moto's real ids and attributes. An end-to-end test can therefore
// deploy the real program into moto and then act on what moto holds: kill the
// Auto Scaling group's instance and watch the group heal.
//
// The monitor creates; it never updates, replaces or deletes. Each run of a
// program creates a fresh set of resources, so start each test with a fresh
// moto (or reset it). It refuses, loudly, any resource type, invoke or input
// it does not translate, rather than let moto hold something other than what
// the program asked for.
//
// # Where moto differs from AWS, and what the monitor does about it
//
// The monitor sends moto exactly what the Pulumi AWS provider would send AWS,
// with these documented exceptions, each recorded in [Resource.Adjustments]:
//
//   - Inline role policies: moto's IAM enforcement checks actions only and
//     denies ARN-scoped resources, so the policy moto gets has every
//     statement's Resource replaced by "*", with Effect and Action exactly as
//     written. The program's own document is kept, see [Monitor.RolePolicies],
//     so a test can check the resource ARNs itself, more strictly than moto.
//   - Launch template root volume size: an EBS mapping with neither
//     volumeSize nor snapshotId means "the image's own size" in AWS, but
//     moto's RunInstances cannot size such a volume and fails the Auto
//     Scaling group's launch (moto/ec2/models/elastic_block_store.py,
//     EBSBackend.create_volume: MissingParameter "size/snapshot"). The
//     monitor fills in the size of the image's snapshot for that device, as
//     DescribeImages reports it (15 GiB for moto's built-in images).
//   - Elastic IP publicDns: EC2 does not return it; the provider computes it
//     from the address ("ec2-1-2-3-4.compute-1.amazonaws.com" in us-east-1,
//     "ec2-1-2-3-4.REGION.compute.amazonaws.com" elsewhere). So does the
//     monitor.
//
// # What moto needs before a deployment
//
// Nothing has to be seeded for the component in us-east-1:
//
//   - The SSM public parameters
//     /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 and
//     -arm64 are built in (moto/ssm/resources/ami-amazon-linux-latest/REGION.json,
//     loaded lazily by moto/ssm/models.py ParameterDict._load_latest_amis), and
//     the AMIs they name are among moto's default images
//     (moto/ec2/resources/latest_amis/REGION.json, loaded by
//     moto/ec2/models/amis.py AmiBackend._load_amis unless
//     MOTO_EC2_LOAD_DEFAULT_AMIS=false). They could not be seeded anyway:
//     moto's PutParameter refuses names under /aws (SimpleSystemManagerBackend.put_parameter,
//     "No access to reserved parameter name").
//   - Instance types come with their ProcessorInfo.SupportedArchitectures
//     (moto/ec2/resources/instance_types.json, InstanceTypeBackend.describe_instance_types).
//   - Every region has a default VPC with one default subnet per zone.
//   - AWS managed policies, such as AmazonSSMManagedInstanceCore, exist in
//     moto only when moto_server runs with MOTO_IAM_LOAD_MANAGED_POLICIES=true
//     (moto/settings.py load_iam_aws_managed_policies); otherwise the
//     RolePolicyAttachment fails with NoSuchEntity. Start moto with it set.
//
// # How moto's Auto Scaling groups behave (moto 5.2.1)
//
// These answer what a healing test can rely on.
//
//   - An instance terminated with ec2 TerminateInstances is replaced at once,
//     inside that same API call: the EC2 response handler
//     (moto/ec2/responses/instances.py InstanceResponse.terminate_instances)
//     calls AutoScalingBackend.notify_terminate_instances
//     (moto/autoscaling/models.py), which drops the instance from its group
//     and calls FakeAutoScalingGroup.replace_autoscaling_group_instances for
//     each InService instance lost. No SetDesiredCapacity or moto-api call is
//     needed; the replacement is InService before terminate-instances
//     returns. Only the EC2 API path notifies the group.
//     TerminateInstanceInAutoScalingGroup with
//     ShouldDecrementDesiredCapacity=false also replaces it synchronously
//     (AutoScalingBackend.terminate_instance -> detach_instances ->
//     set_desired_capacity launches first, then terminates the old one).
//   - New group instances are "running" in EC2 and "InService"/"Healthy" in
//     the group immediately (moto/ec2/models/instances.py Instance.__init__
//     sets state running; moto/autoscaling/models.py InstanceState defaults
//     lifecycle_state "InService"). Nothing is ever "Pending".
//   - A terminated instance keeps its Elastic IP association: Instance.terminate
//     never touches addresses, so DescribeAddresses still shows the
//     terminated instance's InstanceId, AssociationId and network interface
//     (moto/ec2/models/elastic_ip_addresses.py keeps eip.instance/eip.eni).
//     AWS would disassociate it. Consequently AssociateAddress to the
//     replacement fails with Resource.AlreadyAssociated unless it passes
//     AllowReassociation (ElasticAddressBackend.associate_address); the boot
//     script does pass --allow-reassociation.
//   - The group launches with the launch template's user data byte for byte:
//     FakeAutoScalingGroup.user_data returns the template version's UserData,
//     which moto stores as the base64 string it was sent
//     (moto/ec2/responses/launch_templates.py create_launch_template ->
//     moto/ec2/utils.py parse_user_data -> Base64EncodedString), and
//     DescribeLaunchTemplateVersions and DescribeInstanceAttribute userData
//     both return that same base64 string.
//   - But the group's launch ignores most of the rest of the template
//     (replace_autoscaling_group_instances passes only image, instance type,
//     user data, template-level SecurityGroups and tags to run_instances,
//     which adds only the default version's SecurityGroupIds and KeyName):
//     the instance gets no IAM instance profile, default metadata options
//     (HttpTokens "optional", whatever the template says), and a primary
//     network interface in the VPC's default security group, not the
//     template's networkInterfaces groups. It gets a public IP because the
//     default subnets map one on launch, not because of the template. Block
//     device mappings are taken from the template's default version (plus a
//     stray 8 GiB /dev/sda1 that moto always adds).
//   - The instance's tags are the group's propagated tags, the template's
//     instance tag specification, aws:autoscaling:groupName, and
//     aws:ec2launchtemplate:id / aws:ec2launchtemplate:version, where the
//     version is the template's default version, not the group's.
//   - Placement: every instance goes into the first subnet of the group's
//     VPCZoneIdentifier, in the order given, and into that subnet's zone
//     (the zone moto picks at random is overridden by the subnet's).
//   - CreateLaunchTemplate's own TagSpecifications (the template's tags)
//     also end up in the template data's TagSpecifications, as a
//     "launch-template" entry that DescribeLaunchTemplateVersions returns
//     (moto/ec2/responses/launch_templates.py create_launch_template). It
//     does not change what instances are tagged with.
//   - A CreateAutoScalingGroup that fails while launching still leaves the
//     instance it began to launch running, outside any group.
//   - Lifecycle hooks: moto ignores CreateAutoScalingGroup's
//     LifecycleHookSpecificationList, but the provider does not send it: for
//     initialLifecycleHooks it creates the group with no capacity, puts each
//     hook with PutLifecycleHook, then sets the size with
//     UpdateAutoScalingGroup, and so does the monitor. moto stores the hooks
//     (DescribeLifecycleHooks returns them) but never holds an instance in
//     Pending:Wait: the launch gate's instance is InService at once. moto
//     implements neither CompleteLifecycleAction nor
//     RecordLifecycleActionHeartbeat, and its SetInstanceHealth only records
//     the status; the group does not replace an Unhealthy instance.
//
// # Instance metadata
//
// moto_server answers /latest/meta-data/... and /latest/api/token itself
// (moto/instance_metadata/responses.py), but with fixed values unrelated to
// any instance: instance-id "i-fake", placement/availability-zone
// "us-east-1a", region "us-east-1", local-ipv4 "127.0.0.1", public-ipv4
// "198.51.100.1", token "fake-imdsv2-token", and credentials for a role
// "default-role", mac "00:de:ad:be:ef:00". It has no network/ paths, so no
// subnet or VPC (they answer 500: NotImplementedError), and /latest/dynamic/instance-identity/document is
// not served at all (moto routes it to S3: NoSuchBucket). A boot-script test needs a real metadata mock (internal/emulator
// StartIMDS) fed with the instance's values from DescribeInstances.
package moto
