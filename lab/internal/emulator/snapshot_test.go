package emulator

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestSnapshotCopiesTheDiskAsItWasAndAVolumeFromItStartsWithThat(t *testing.T) {
	RequireLoopDevices(t)
	RequireTool(t, "moto_server", "pip install 'moto[server]==5.2.1'")
	ctx := context.Background()
	server := StartMoto(t, MotoOptions{})
	cfg := server.AWSConfig()
	volumeID, err := CreateVolume(ctx, cfg, "us-east-1a", 1)
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	disk := NewLoopDevice(t, 64*mib)
	before, after := []byte("written before the snapshot"), []byte("WRITTEN AFTER THE SNAPSHOT!")
	writeFileAt(t, disk.File, 5*mib, before)

	snapshots, err := NewSnapshots(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := snapshots.Take(ctx, cfg, volumeID, disk.File)
	if err != nil {
		t.Fatal(err)
	}
	writeFileAt(t, disk.File, 5*mib, after)
	out, err := ec2.NewFromConfig(cfg).DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	if err != nil || len(out.Snapshots) != 1 || aws.ToString(out.Snapshots[0].VolumeId) != volumeID {
		t.Fatalf("moto's snapshot %s: %+v (%v), want one of %s", id, out, err, volumeID)
	}

	restored, err := snapshots.NewLoopDevice(ctx, t.TempDir(), id, 128*mib)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := restored.Close(); err != nil {
			t.Error(err)
		}
	})
	content, err := os.ReadFile(restored.Device)
	if err != nil {
		t.Fatal(err)
	}
	if len(content) != 128*mib {
		t.Errorf("the restored disk is %d bytes, want the volume's 128 MiB", len(content))
	}
	if got := content[5*mib : 5*mib+len(before)]; !bytes.Equal(got, before) {
		t.Errorf("the restored disk holds %q, want what the disk held when the snapshot was taken, %q", got, before)
	}
	if _, err := snapshots.NewLoopDevice(ctx, t.TempDir(), id, 32*mib); err == nil {
		t.Error("a volume smaller than its snapshot was created")
	}
	if _, err := snapshots.NewLoopDevice(ctx, t.TempDir(), "snap-0123456789abcdef0", 128*mib); err == nil {
		t.Error("a volume was created from a snapshot whose content the model does not hold")
	}
}

func writeFileAt(t *testing.T, name string, offset int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
