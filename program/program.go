// Package program is the Pulumi program that main.go runs: it reads the
// stack's configuration, builds one SelfHealingInstance, and exports its
// outputs. Tests and cmd/synth run the same code under Pulumi's mock monitor.
package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// ComponentName is the logical name of the program's one SelfHealingInstance.
// It is part of the Auto Scaling group's name, so changing it replaces the
// group.
const ComponentName = "instance"

// Run is the program's body, for pulumi.Run.
func Run(ctx *pulumi.Context) error {
	_, err := Deploy(ctx)
	return err
}

// Deploy builds the stack, exports its outputs, and returns them by name.
func Deploy(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	args, err := LoadArgs(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := components.NewSelfHealingInstance(ctx, ComponentName, &args)
	if err != nil {
		return nil, err
	}
	exports := map[string]pulumi.Output{
		"publicIp":             inst.PublicIP,
		"publicDns":            inst.PublicDNS,
		"allocationId":         inst.AllocationID,
		"autoScalingGroupName": inst.AutoScalingGroupName,
		"launchTemplateId":     inst.LaunchTemplateID,
		"instanceRoleArn":      inst.InstanceRoleArn,
		"instanceRoleName":     inst.InstanceRoleName,
		"securityGroupId":      inst.SecurityGroupID,
		"url":                  inst.URL,
	}
	// Only when on: an empty output would read as a topic with no name.
	if args.Notifications != nil {
		exports["notificationTopicArn"] = inst.NotificationTopicArn
	}
	if args.DataVolume != nil {
		exports["dataVolumeId"] = inst.DataVolumeID
		exports["dataVolumeMountPath"] = inst.DataVolumeMountPath
	}
	for name, value := range exports {
		ctx.Export(name, value)
	}
	return exports, nil
}
