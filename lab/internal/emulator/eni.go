package emulator

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// EC2 network interface errors, with the codes AWS answers (Amazon EC2
// API Reference, "Error codes",
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
var (
	// InterfaceInUse answers AttachNetworkInterface for an interface
	// attached to an instance, or still detaching from one.
	InterfaceInUse = APIError{http.StatusBadRequest, "InvalidNetworkInterface.InUse", "Interface: [%s] in use."}
	// InterfaceAttachmentNotFound answers DetachNetworkInterface naming an
	// attachment that no longer exists.
	InterfaceAttachmentNotFound = APIError{http.StatusBadRequest, "InvalidAttachmentID.NotFound", "The attachment ID '%s' does not exist"}
)

// The model's network interfaces: moto 5.2.1 attaches an interface that is
// attached to another instance, silently moving it, where EC2 answers
// InvalidNetworkInterface.InUse; and it has no "detaching" interface. The
// [EBSModel], which already stands between the API chain and moto for
// volumes, holds network interfaces too: [EBSModel.Hold] takes an
// interface's id as well as a volume's, and then
//
//   - AttachNetworkInterface is refused with InvalidNetworkInterface.InUse
//     for an interface the model holds, or one moto has attached to any
//     instance;
//   - DescribeNetworkInterfaces naming held interfaces by id is answered
//     by the model: moto's description, with each held interface in-use,
//     attached (or detaching) at device index 1 to its holder, with the
//     attachment id [HeldAttachmentID];
//   - DetachNetworkInterface of that attachment id is answered by the
//     model: with Force, the interface turns available
//     [EBSModel.DetachDelay] later. Every DetachNetworkInterface is counted
//     ([EBSModel.InterfaceDetachCalls]).

// HeldAttachmentID is the attachment id the model reports for an
// interface it holds: "eni-attach-" and the interface id's digits.
func HeldAttachmentID(interfaceID string) string {
	return "eni-attach-" + strings.TrimPrefix(interfaceID, "eni-")
}

// InterfaceDetachCalls returns how many DetachNetworkInterface requests the
// model received.
func (m *EBSModel) InterfaceDetachCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.interfaceDetachCalls
}

// serveInterface answers a network interface request where the model
// decides, reporting whether it did; otherwise moto answers.
func (m *EBSModel) serveInterface(w http.ResponseWriter, r *http.Request, action string, form url.Values) bool {
	switch action {
	case "AttachNetworkInterface":
		if apiErr := m.checkInterfaceAttach(r.Context(), form.Get("NetworkInterfaceId")); apiErr != nil {
			writeAPIError(w, r, *apiErr)
			return true
		}
	case "DetachNetworkInterface":
		return m.detachInterface(w, r, form)
	case "DescribeNetworkInterfaces":
		return m.describeInterfaces(w, r, form)
	}
	return false
}

// checkInterfaceAttach returns the error AWS would answer
// AttachNetworkInterface with where moto would not, or nil.
func (m *EBSModel) checkInterfaceAttach(ctx context.Context, interfaceID string) *APIError {
	m.mu.Lock()
	hold := m.heldLocked(interfaceID)
	m.mu.Unlock()
	if hold != nil {
		return apiErrorf(InterfaceInUse, interfaceID)
	}
	ctx, cancel := context.WithTimeout(ctx, ebsCallTimeout)
	defer cancel()
	out, err := m.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{interfaceID}})
	if err != nil || len(out.NetworkInterfaces) != 1 {
		return nil // moto answers an unknown interface itself
	}
	if a := out.NetworkInterfaces[0].Attachment; a != nil && aws.ToString(a.InstanceId) != "" {
		return apiErrorf(InterfaceInUse, interfaceID)
	}
	return nil
}

// detachInterface counts a DetachNetworkInterface and answers it if it
// names a held interface's attachment, reporting whether it did.
func (m *EBSModel) detachInterface(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	attachmentID := form.Get("AttachmentId")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.interfaceDetachCalls++
	for id := range m.holds {
		if HeldAttachmentID(id) != attachmentID {
			continue
		}
		hold := m.heldLocked(id)
		if hold == nil {
			writeAPIError(w, r, *apiErrorf(InterfaceAttachmentNotFound, attachmentID))
			return true
		}
		if strings.EqualFold(form.Get("Force"), "true") {
			hold.until = m.now().Add(m.DetachDelay)
		}
		hold.State = "detaching"
		writeXML(w, detachNetworkInterfaceResponse{Xmlns: ec2Namespace, RequestID: requestID(), Return: true})
		return true
	}
	return false
}

// describeInterfaces answers DescribeNetworkInterfaces if it names a held
// interface by id, reporting whether it did.
func (m *EBSModel) describeInterfaces(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	ids, held := m.heldByID(form, "NetworkInterfaceId.")
	if len(held) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), ebsCallTimeout)
	defer cancel()
	out, err := m.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids})
	if err != nil {
		return false // let moto answer with its own error
	}
	resp := describeNetworkInterfacesResponse{Xmlns: ec2Namespace, RequestID: requestID()}
	for _, n := range out.NetworkInterfaces {
		item := xmlNetworkInterface{
			NetworkInterfaceID: aws.ToString(n.NetworkInterfaceId),
			SubnetID:           aws.ToString(n.SubnetId),
			VpcID:              aws.ToString(n.VpcId),
			AvailabilityZone:   aws.ToString(n.AvailabilityZone),
			Status:             string(n.Status),
			MacAddress:         aws.ToString(n.MacAddress),
			PrivateIPAddress:   aws.ToString(n.PrivateIpAddress),
			InterfaceType:      string(n.InterfaceType),
		}
		if a := n.Association; a != nil {
			item.Association = &xmlInterfaceAssociation{
				PublicIP: aws.ToString(a.PublicIp), AllocationID: aws.ToString(a.AllocationId), AssociationID: aws.ToString(a.AssociationId),
			}
		}
		if a := n.Attachment; a != nil {
			item.Attachment = &xmlInterfaceAttachment{
				AttachmentID: aws.ToString(a.AttachmentId), InstanceID: aws.ToString(a.InstanceId),
				DeviceIndex: aws.ToInt32(a.DeviceIndex), Status: string(a.Status),
			}
		}
		if h, ok := held[item.NetworkInterfaceID]; ok {
			item.Status = "in-use"
			item.Attachment = &xmlInterfaceAttachment{
				AttachmentID: HeldAttachmentID(item.NetworkInterfaceID), InstanceID: h.Instance, DeviceIndex: 1, Status: h.State,
			}
		}
		resp.Interfaces = append(resp.Interfaces, item)
	}
	writeXML(w, resp)
	return true
}

type describeNetworkInterfacesResponse struct {
	XMLName    xml.Name              `xml:"DescribeNetworkInterfacesResponse"`
	Xmlns      string                `xml:"xmlns,attr"`
	RequestID  string                `xml:"requestId"`
	Interfaces []xmlNetworkInterface `xml:"networkInterfaceSet>item"`
}

type xmlNetworkInterface struct {
	NetworkInterfaceID string                   `xml:"networkInterfaceId"`
	SubnetID           string                   `xml:"subnetId"`
	VpcID              string                   `xml:"vpcId"`
	AvailabilityZone   string                   `xml:"availabilityZone"`
	Status             string                   `xml:"status"`
	MacAddress         string                   `xml:"macAddress"`
	PrivateIPAddress   string                   `xml:"privateIpAddress"`
	InterfaceType      string                   `xml:"interfaceType"`
	Attachment         *xmlInterfaceAttachment  `xml:"attachment,omitempty"`
	Association        *xmlInterfaceAssociation `xml:"association,omitempty"`
}

type xmlInterfaceAttachment struct {
	AttachmentID string `xml:"attachmentId"`
	InstanceID   string `xml:"instanceId"`
	DeviceIndex  int32  `xml:"deviceIndex"`
	Status       string `xml:"status"`
}

type xmlInterfaceAssociation struct {
	PublicIP      string `xml:"publicIp"`
	AllocationID  string `xml:"allocationId"`
	AssociationID string `xml:"associationId"`
}

type detachNetworkInterfaceResponse struct {
	XMLName   xml.Name `xml:"DetachNetworkInterfaceResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	RequestID string   `xml:"requestId"`
	Return    bool     `xml:"return"`
}

// CreateNetworkInterface creates a network interface in subnetID, with
// privateIP if it is not "", and returns its id and private address.
func CreateNetworkInterface(ctx context.Context, cfg aws.Config, subnetID, privateIP string) (id, ip string, err error) {
	in := &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID)}
	if privateIP != "" {
		in.PrivateIpAddress = aws.String(privateIP)
	}
	out, err := ec2.NewFromConfig(cfg).CreateNetworkInterface(ctx, in)
	if err != nil {
		return "", "", err
	}
	return aws.ToString(out.NetworkInterface.NetworkInterfaceId), aws.ToString(out.NetworkInterface.PrivateIpAddress), nil
}

// InterfaceAttachment returns the instance moto has interfaceID attached
// to, and its device index, or "" if it is attached to none.
func InterfaceAttachment(ctx context.Context, cfg aws.Config, interfaceID string) (instanceID string, deviceIndex int32, err error) {
	out, err := ec2.NewFromConfig(cfg).DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{interfaceID}})
	if err != nil {
		return "", 0, err
	}
	if len(out.NetworkInterfaces) != 1 {
		return "", 0, nil
	}
	if a := out.NetworkInterfaces[0].Attachment; a != nil {
		return aws.ToString(a.InstanceId), aws.ToInt32(a.DeviceIndex), nil
	}
	return "", 0, nil
}

// AssociateAddressWithInterface associates the Elastic IP allocationID with
// interfaceID, as the stack does once.
func AssociateAddressWithInterface(ctx context.Context, cfg aws.Config, allocationID, interfaceID string) error {
	_, err := ec2.NewFromConfig(cfg).AssociateAddress(ctx, &ec2.AssociateAddressInput{
		AllocationId: aws.String(allocationID), NetworkInterfaceId: aws.String(interfaceID),
	})
	return err
}

// InstanceSubnet returns the subnet moto launched instanceID into.
func InstanceSubnet(ctx context.Context, cfg aws.Config, instanceID string) (string, error) {
	out, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	if err != nil {
		return "", err
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		return "", nil
	}
	return aws.ToString(out.Reservations[0].Instances[0].SubnetId), nil
}
