package moto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM resource type tokens the monitor creates.
const (
	typeRole                 = "aws:iam/role:Role"
	typeRolePolicy           = "aws:iam/rolePolicy:RolePolicy"
	typeRolePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeInstanceProfile      = "aws:iam/instanceProfile:InstanceProfile"
)

// RolePolicy is an inline role policy the monitor put into moto.
type RolePolicy struct {
	// Role is the role's name.
	Role string
	// Name is the policy's name.
	Name string
	// Document is the policy document exactly as the program wrote it.
	Document string
	// MotoDocument is what moto got: Document with every statement's
	// Resource replaced by "*" (see [MotoPolicyDocument]).
	MotoDocument string
}

// MotoPolicyDocument returns the identity policy document to give moto in
// place of document: every statement's Resource becomes "*", and everything
// else, Effect and Action in particular, is kept exactly.
//
// This is a harness rule: moto's IAM enforcement checks actions only, and
// denies requests under policies whose statements are scoped to resource
// ARNs. A test that wants resource scoping checked must check the original
// document itself. A statement with NotResource is refused, since no
// rewrite of it keeps its meaning.
//
// Conditions are kept as written. moto 5.2.1 evaluates only StringEquals
// (moto/iam/policy_conditions.py), only against the few keys it fills in
// (sts:ExternalId, moto/iam/utils.py format_incoming_conditional_values),
// and holds a condition whose key the request lacks: so a condition on
// aws:ResourceTag/..., say, never makes moto refuse, and the harness that
// evaluates it (internal/heallab's inspector) decides.
func MotoPolicyDocument(document string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(document))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("policy document is not a JSON object: %w", err)
	}
	var statements []any
	switch s := doc["Statement"].(type) {
	case []any:
		statements = s
	case map[string]any:
		statements = []any{s}
	default:
		return "", fmt.Errorf("policy document has no Statement list (got %T)", doc["Statement"])
	}
	for i, s := range statements {
		statement, ok := s.(map[string]any)
		if !ok {
			return "", fmt.Errorf("Statement[%d] is not an object (got %T)", i, s)
		}
		if _, ok := statement["NotResource"]; ok {
			return "", fmt.Errorf("Statement[%d] uses NotResource, which the moto monitor cannot rewrite for moto", i)
		}
		if _, ok := statement["Resource"]; ok {
			statement["Resource"] = "*"
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("marshalling the rewritten policy: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// createRole creates an IAM role. Its id is its name.
func (m *Monitor) createRole(ctx context.Context, name string, in *inputs) (created, error) {
	roleName, autoNamed := physicalName(in, name)
	req := &iam.CreateRoleInput{
		RoleName:                 &roleName,
		AssumeRolePolicyDocument: aws.String(in.required("assumeRolePolicy")),
		Description:              nonEmpty(in.strOr("description", "")),
		Path:                     nonEmpty(in.strOr("path", "")),
		PermissionsBoundary:      nonEmpty(in.strOr("permissionsBoundary", "")),
		MaxSessionDuration:       in.integerPtr("maxSessionDuration"),
		Tags:                     iamTags(in.strMap("tags")),
	}
	// forceDetachPolicies acts on deletion only.
	in.ignore("forceDetachPolicies", "tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}
	out, err := m.iam.CreateRole(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("CreateRole: %w", err)
	}
	role := out.Role
	attrs := iamAttributes(role.Arn, role.RoleId, role.Path, role.CreateDate)
	if autoNamed {
		attrs["name"] = roleName
	}
	return created{id: roleName, attrs: attrs}, nil
}

// createRolePolicy puts an inline policy on a role. moto gets the document
// rewritten by [MotoPolicyDocument]; the original is kept for
// [Monitor.RolePolicies]. Its id is "role:name", as the provider's.
func (m *Monitor) createRolePolicy(ctx context.Context, name string, in *inputs) (created, error) {
	policyName, autoNamed := physicalName(in, name)
	role := in.required("role")
	document := in.required("policy")
	if err := in.done(); err != nil {
		return created{}, err
	}
	motoDocument, err := MotoPolicyDocument(document)
	if err != nil {
		return created{}, fmt.Errorf("policy: %w", err)
	}
	if _, err := m.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName:       &role,
		PolicyName:     &policyName,
		PolicyDocument: &motoDocument,
	}); err != nil {
		return created{}, fmt.Errorf("PutRolePolicy: %w", err)
	}
	m.mu.Lock()
	m.rolePolicies = append(m.rolePolicies, RolePolicy{Role: role, Name: policyName, Document: document, MotoDocument: motoDocument})
	m.mu.Unlock()

	attrs := map[string]any{}
	if autoNamed {
		attrs["name"] = policyName
	}
	var adjustments []string
	if motoDocument != document {
		adjustments = append(adjustments, "policy: sent with every statement's Resource replaced by \"*\" "+
			"(moto's IAM enforcement checks actions only); the original is in Monitor.RolePolicies")
	}
	return created{id: role + ":" + policyName, attrs: attrs, adjustments: adjustments}, nil
}

// createRolePolicyAttachment attaches a managed policy to a role.
func (m *Monitor) createRolePolicyAttachment(ctx context.Context, name string, in *inputs) (created, error) {
	role := in.required("role")
	policyARN := in.required("policyArn")
	if err := in.done(); err != nil {
		return created{}, err
	}
	if _, err := m.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &role, PolicyArn: &policyARN}); err != nil {
		var missing *iamtypes.NoSuchEntityException
		if errors.As(err, &missing) && strings.Contains(policyARN, ":iam::aws:policy/") {
			return created{}, fmt.Errorf("AttachRolePolicy %s: moto has AWS managed policies only when moto_server runs with "+
				"MOTO_IAM_LOAD_MANAGED_POLICIES=true: %w", policyARN, err)
		}
		return created{}, fmt.Errorf("AttachRolePolicy %s: %w", policyARN, err)
	}
	return created{id: role + "-" + randomHex(26)}, nil
}

// createInstanceProfile creates an instance profile and adds the role to
// it. Its id is its name.
func (m *Monitor) createInstanceProfile(ctx context.Context, name string, in *inputs) (created, error) {
	profileName, autoNamed := physicalName(in, name)
	role, hasRole := in.str("role")
	req := &iam.CreateInstanceProfileInput{
		InstanceProfileName: &profileName,
		Path:                nonEmpty(in.strOr("path", "")),
		Tags:                iamTags(in.strMap("tags")),
	}
	in.ignore("tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}
	out, err := m.iam.CreateInstanceProfile(ctx, req)
	if err != nil {
		return created{}, fmt.Errorf("CreateInstanceProfile: %w", err)
	}
	if hasRole && role != "" {
		if _, err := m.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
			InstanceProfileName: &profileName, RoleName: &role,
		}); err != nil {
			return created{}, fmt.Errorf("AddRoleToInstanceProfile %s: %w", role, err)
		}
	}
	profile := out.InstanceProfile
	attrs := iamAttributes(profile.Arn, profile.InstanceProfileId, profile.Path, profile.CreateDate)
	if autoNamed {
		attrs["name"] = profileName
	}
	return created{id: profileName, attrs: attrs}, nil
}

// iamTags converts a tag map, in key order.
// iamAttributes are the outputs the provider reads back for an IAM role or
// instance profile.
func iamAttributes(arn, uniqueID, path *string, created *time.Time) map[string]any {
	attrs := map[string]any{
		"arn":      aws.ToString(arn),
		"uniqueId": aws.ToString(uniqueID),
		"path":     aws.ToString(path),
	}
	if created != nil {
		attrs["createDate"] = created.UTC().Format("2006-01-02T15:04:05Z")
	}
	return attrs
}

func iamTags(tags map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
