package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// preflight is what the component learns from AWS, and checks, before it
// creates anything: the lookups are plain invokes, so during `pulumi
// preview` a wrong subnet, image, zone, volume or key fails with nothing
// created.
type preflight struct {
	env   awsEnvironment
	where placement
	image machineImage
	zone  dnsZone
	// adopted is the existing data volume args adopt, if any; volumeZone
	// is the data volume's Availability Zone, the only one the group uses.
	adopted    existingVolume
	volumeZone string
}

// preflight runs every lookup, and every check that needs one.
func (a SelfHealingInstanceArgs) preflight(ctx *pulumi.Context, name string, parent pulumi.ResourceOrInvokeOption) (preflight, error) {
	var found preflight
	var err error
	if found.env, err = lookupEnvironment(ctx, parent); err != nil {
		return found, err
	}
	if found.where, err = lookupPlacement(ctx, a.SubnetIDs, parent); err != nil {
		return found, err
	}
	if err := a.checkSections(ctx, name, found.env); err != nil {
		return found, err
	}
	if v := a.DataVolume; v != nil {
		if v.VolumeID != "" {
			if found.adopted, err = lookupExistingVolume(ctx, v.VolumeID, parent); err != nil {
				return found, err
			}
		}
		if err := checkKMSKeyRegion(v.KMSKeyARN, found.env); err != nil {
			return found, err
		}
		found.volumeZone = dataVolumeZone(*v, found.adopted, found.where)
		if found.where, err = found.where.inZone(found.volumeZone); err != nil {
			return found, err
		}
	}
	if found.image, err = lookupImage(ctx, a.InstanceType, a.AmiID, a.RootVolumeSizeGiB, parent); err != nil {
		return found, err
	}
	if found.zone, err = lookupDNSZone(ctx, a.DNS, parent); err != nil {
		return found, err
	}
	if err := a.Notifications.checkPlacement(found.env); err != nil {
		return found, err
	}
	if err := lookupSpotInstanceTypes(ctx, a, found.image, parent); err != nil {
		return found, err
	}
	return found, nil
}
