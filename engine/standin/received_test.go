package standin

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestReceivedLogsWhatTheEngineSent creates, updates and deletes a
// security group through the provider's gRPC methods, and reads back, in
// order, what each call sent.
func TestReceivedLogsWhatTheEngineSent(t *testing.T) {
	state := filepath.Join(t.TempDir(), "world.json")
	p := New(state)
	ctx := context.Background()
	const urn = "urn:pulumi:dev::selfhealing::aws:ec2/securityGroup:SecurityGroup::web-sg"
	props := func(description string) *resource.PropertyMap {
		m := resource.PropertyMap{"description": resource.NewProperty(description)}
		return &m
	}
	grpc := func(m *resource.PropertyMap) *structpb.Struct {
		s, err := plugin.MarshalProperties(*m, marshalOptions)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	created, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: urn, Properties: grpc(props("first"))})
	if err != nil {
		t.Fatal(err)
	}
	// A preview changes nothing, so logs nothing.
	if _, err := p.Update(ctx, &pulumirpc.UpdateRequest{Urn: urn, Id: created.GetId(), Preview: true,
		Olds: created.GetProperties(), OldInputs: grpc(props("first")), News: grpc(props("second"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Update(ctx, &pulumirpc.UpdateRequest{Urn: urn, Id: created.GetId(),
		Olds: created.GetProperties(), OldInputs: grpc(props("first")), News: grpc(props("third"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Delete(ctx, &pulumirpc.DeleteRequest{Urn: urn, Id: created.GetId()}); err != nil {
		t.Fatal(err)
	}

	got, err := ReadReceived(state)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range got {
		ops = append(ops, r.Op)
		if r.ID != created.GetId() || r.URN != urn || r.Type != "aws:ec2/securityGroup:SecurityGroup" {
			t.Errorf("%s logged for %s %s %s, want %s %s", r.Op, r.Type, r.URN, r.ID, urn, created.GetId())
		}
	}
	if len(got) != 3 || ops[0] != "create" || ops[1] != "update" || ops[2] != "delete" {
		t.Fatalf("logged %v, want create, update, delete", ops)
	}
	news, err := got[1].InputMap()
	if err != nil {
		t.Fatal(err)
	}
	olds, err := got[1].OldInputMap()
	if err != nil {
		t.Fatal(err)
	}
	if stringProp(news, "description") != "third" || stringProp(olds, "description") != "first" {
		t.Errorf("the update logged inputs %v over %v, want description third over first", news.Mappable(), olds.Mappable())
	}
}
