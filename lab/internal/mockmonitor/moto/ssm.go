package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// typeParameter is the Parameter Store parameter resource type token.
const typeParameter = "aws:ssm/parameter:Parameter"

// createParameter puts a parameter in moto's Parameter Store: a String from
// insecureValue, or a SecureString (or String) from value, a secret that
// inputs unwraps.
func (m *Monitor) createParameter(ctx context.Context, _ string, in *inputs) (created, error) {
	name := in.required("name")
	req := &ssm.PutParameterInput{
		Name: aws.String(name),
		Type: ssmtypes.ParameterType(in.required("type")),
		Tier: ssmtypes.ParameterTier(in.strOr("tier", string(ssmtypes.ParameterTierStandard))),
	}
	if value, ok := in.str("insecureValue"); ok {
		req.Value = aws.String(value)
	} else {
		req.Value = aws.String(in.required("value"))
	}
	if description, ok := in.str("description"); ok {
		req.Description = aws.String(description)
	}
	if key, ok := in.str("keyId"); ok {
		req.KeyId = aws.String(key)
	}
	for key, value := range in.strMap("tags") {
		req.Tags = append(req.Tags, ssmtypes.Tag{Key: aws.String(key), Value: aws.String(value)})
	}
	in.ignore("tagsAll")
	if err := in.done(); err != nil {
		return created{}, err
	}
	if _, err := m.ssm.PutParameter(ctx, req); err != nil {
		return created{}, fmt.Errorf("PutParameter: %w", err)
	}
	return created{id: name, attrs: map[string]any{
		"arn": m.arn("ssm", m.region, "parameter"+name),
	}}, nil
}
