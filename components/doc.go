// Package components provides SelfHealingInstance, a Pulumi component that
// keeps one stateful EC2 instance running behind a fixed public address,
// without a load balancer.
//
// The component creates an Elastic IP, an instance role that may move only
// that address, a security group, a launch template whose boot script takes
// the address, and an Auto Scaling group of exactly one instance. When the
// instance dies, the group launches another, and its boot script moves the
// address to it.
//
//	inst, err := components.NewSelfHealingInstance(ctx, "bastion", &components.SelfHealingInstanceArgs{
//		InstanceType: "t4g.small",
//	})
//	ctx.Export("publicIp", inst.PublicIP)
package components
