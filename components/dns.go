package components

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultDNSTTL is the record's TTL in seconds when DNSArgs.TTL is nil.
// The address behind the record never moves while the stack lives, so a
// longer TTL would be harmless; a short one makes a rebuilt stack (a new
// Elastic IP) reachable again within a minute.
const DefaultDNSTTL = 60

// maxDNSTTL is Route 53's largest TTL (ResourceRecordSet.TTL, a 32-bit
// signed number of seconds).
const maxDNSTTL = math.MaxInt32

// DNSArgs publishes the Elastic IP under a name in a Route 53 hosted zone,
// as an A record.
type DNSArgs struct {
	// ZoneID is the hosted zone's id, such as "Z0123456789ABCDEFGHIJ",
	// without the "/hostedzone/" prefix, or a zone created in the same
	// program.
	ZoneID pulumi.StringInput `pulumi:"zoneId"`

	// RecordName is the fully qualified name to publish, such as
	// "app.example.com": the zone's own name or a name inside it. Case and
	// one trailing dot are ignored. An existing record of that name and
	// type is never overwritten; creating it then fails.
	RecordName string `pulumi:"recordName"`

	// TTL is the record's time to live in seconds, 0 to 2147483647. Nil
	// means DefaultDNSTTL.
	TTL *int `pulumi:"ttl,optional"`
}

var (
	// Route 53 zone ids are "Z" and upper-case letters and digits; the API
	// caps resource ids at 32 characters.
	hostedZoneIDPattern = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	// hostnameLabel is one letter-digit-hyphen label, as a host name in a
	// URL needs (RFC 1123); lower case, since names are compared folded.
	hostnameLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// normalizeDNSName folds case and drops one trailing dot, so that
// "App.Example.com." and "app.example.com" name the same record, as they do
// in DNS, and the provider sees one spelling (no diff on the next preview).
func normalizeDNSName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// WithDefaults returns a copy of d with TTL filled in when unset.
func (d DNSArgs) WithDefaults() DNSArgs {
	d.TTL = orDefault(d.TTL, DefaultDNSTTL)
	return d
}

// validate checks d's fields (after defaults) on their own;
// lookupRecordName checks the record name against the zone.
func (d *DNSArgs) validate() []error {
	if d == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("dns."+format, args...)) }

	if zoneID, known := knownString(d.ZoneID); known {
		if err := checkZoneID(zoneID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkHostname(normalizeDNSName(d.RecordName)); err != nil {
		bad("recordName %q: %v", d.RecordName, err)
	}
	if ttl := *d.TTL; ttl < 0 || ttl > maxDNSTTL {
		bad("ttl %d: want 0 to %d seconds (Route 53's range); unset means %d", ttl, maxDNSTTL, DefaultDNSTTL)
	}
	return errs
}

// checkZoneID is dns.zoneId's rule.
func checkZoneID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("dns.zoneId: empty; want the id of an existing Route 53 hosted zone, such as Z0123456789ABCDEFGHIJ")
	case strings.HasPrefix(id, "/hostedzone/"):
		return fmt.Errorf("dns.zoneId %q: want the bare id %q, without the /hostedzone/ prefix", id, strings.TrimPrefix(id, "/hostedzone/"))
	case !hostedZoneIDPattern.MatchString(id):
		return fmt.Errorf("dns.zoneId %q: want a Route 53 hosted zone id: Z and up to 31 upper-case letters and digits, such as Z0123456789ABCDEFGHIJ", id)
	}
	return nil
}

// checkHostname checks a normalized name for use as an A record that a URL
// names: letter-digit-hyphen labels of 1 to 63 characters, 253 in all. A
// leading "*" label (a wildcard record) is allowed.
func checkHostname(name string) error {
	const want = "want a fully qualified host name such as app.example.com: labels of 1 to 63 letters, digits and " +
		"hyphens (not at either end), 253 characters in all, optionally starting with a *. wildcard label"
	if name == "" {
		return fmt.Errorf("empty; %s", want)
	}
	if len(name) > 253 {
		return fmt.Errorf("%d characters; %s", len(name), want)
	}
	for i, label := range strings.Split(name, ".") {
		if i == 0 && label == "*" {
			continue
		}
		if !hostnameLabel.MatchString(label) {
			return fmt.Errorf("label %q is not allowed; %s", label, want)
		}
	}
	return nil
}

// recordInZone reports whether the normalized record name is the zone's
// apex or a name below it. The AWS provider appends the zone's name to any
// name that does not end with it, so "app.example.org" in zone example.com
// would quietly become "app.example.org.example.com"; this check refuses
// it instead.
func recordInZone(record, zone string) bool {
	return record == zone || strings.HasSuffix(record, "."+zone)
}

// resolvedZone is the hosted zone a DNS record goes into, and the record's
// name, checked to lie inside it.
type resolvedZone struct {
	ID, RecordName pulumi.StringInput
}

// lookupRecordName reads hosted zone zoneID and returns the record's
// normalized name, if it lies inside the zone.
func lookupRecordName(ctx *pulumi.Context, zoneID, recordName string, opts ...pulumi.InvokeOption) (string, error) {
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{ZoneId: &zoneID}, opts...)
	if err != nil {
		return "", fmt.Errorf("dns.zoneId %q: looking up the hosted zone: %w", zoneID, err)
	}
	zoneName, record := normalizeDNSName(zone.Name), normalizeDNSName(recordName)
	if !recordInZone(record, zoneName) {
		return "", fmt.Errorf("dns.recordName %q: is not inside hosted zone %s (%s); want %s itself or a name ending in .%s",
			recordName, zoneID, zoneName, zoneName, zoneName)
	}
	return record, nil
}

// resolveDNSZone reads the hosted zone d names and checks that the record
// name lies inside it: now when the zone id is a literal, else when it
// resolves. It returns the zero value when d is nil.
func resolveDNSZone(ctx *pulumi.Context, d *DNSArgs, opts ...pulumi.InvokeOption) (resolvedZone, error) {
	if d == nil {
		return resolvedZone{}, nil
	}
	if zoneID, known := knownString(d.ZoneID); known {
		record, err := lookupRecordName(ctx, zoneID, d.RecordName, opts...)
		if err != nil {
			return resolvedZone{}, err
		}
		return resolvedZone{ID: pulumi.String(zoneID), RecordName: pulumi.String(record)}, nil
	}
	zoneID := checkedString(d.ZoneID, checkZoneID)
	return resolvedZone{
		ID: zoneID,
		RecordName: applyRedacted(zoneID, func(id string) []string { return []string{id} }, func(id string) (string, error) {
			return lookupRecordName(ctx, id, d.RecordName, opts...)
		}).(pulumi.StringOutput),
	}, nil
}

// dnsRecord publishes the Elastic IP as an A record when the plan has DNS,
// and sets the URL output: the record's name, or else the Elastic IP
// itself. The IP rather than the address's public DNS name: it needs no
// resolver, and EC2 hands out public DNS names only in VPCs with DNS host
// names on. The scheme is https when the instance terminates TLS itself
// (which requires the DNS record), else http.
func (b *builder) dnsRecord() error {
	p := b.p
	scheme := "http://"
	if p.args.HTTPS != nil {
		scheme = "https://"
	}
	toURL := func(host string) string { return scheme + host }
	if p.args.DNS == nil {
		b.c.URL = b.c.PublicIP.ApplyT(toURL).(pulumi.StringOutput)
		return nil
	}
	record, err := route53.NewRecord(b.ctx, p.name+"-dns", &route53.RecordArgs{
		ZoneId:  p.zone.ID,
		Name:    p.zone.RecordName,
		Type:    pulumi.String("A"),
		Ttl:     pulumi.Int(p.dnsTTL),
		Records: pulumi.StringArray{b.c.PublicIP},
		// A name someone else already publishes is theirs: fail rather
		// than take it over.
		AllowOverwrite: pulumi.Bool(false),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("creating the DNS record: %w", err)
	}
	b.c.URL = record.Name.ApplyT(toURL).(pulumi.StringOutput)
	return nil
}
