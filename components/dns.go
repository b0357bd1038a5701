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
	// without the "/hostedzone/" prefix. The zone must already exist.
	ZoneID string

	// RecordName is the fully qualified name to publish, such as
	// "app.example.com": the zone's own name or a name inside it. Case and
	// one trailing dot are ignored. An existing record of that name and
	// type is never overwritten; creating it then fails.
	RecordName string

	// TTL is the record's time to live in seconds, 0 to 2147483647. Nil
	// means DefaultDNSTTL.
	TTL *int
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

// ttl returns the record's TTL with the default applied.
func (d *DNSArgs) ttl() int {
	if d.TTL == nil {
		return DefaultDNSTTL
	}
	return *d.TTL
}

// validate checks d's fields on their own; lookupDNSZone checks the record
// name against the zone.
func (d *DNSArgs) validate() []error {
	if d == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("dns."+format, args...)) }

	switch {
	case d.ZoneID == "":
		bad("zoneId: empty; want the id of an existing Route 53 hosted zone, such as Z0123456789ABCDEFGHIJ")
	case strings.HasPrefix(d.ZoneID, "/hostedzone/"):
		bad("zoneId %q: want the bare id %q, without the /hostedzone/ prefix", d.ZoneID, strings.TrimPrefix(d.ZoneID, "/hostedzone/"))
	case !hostedZoneIDPattern.MatchString(d.ZoneID):
		bad("zoneId %q: want a Route 53 hosted zone id: Z and up to 31 upper-case letters and digits, such as Z0123456789ABCDEFGHIJ", d.ZoneID)
	}
	if err := checkHostname(normalizeDNSName(d.RecordName)); err != nil {
		bad("recordName %q: %v", d.RecordName, err)
	}
	if ttl := d.ttl(); ttl < 0 || ttl > maxDNSTTL {
		bad("ttl %d: want 0 to %d seconds (Route 53's range); unset means %d", ttl, maxDNSTTL, DefaultDNSTTL)
	}
	return errs
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

// dnsZone is the hosted zone a DNS record goes into.
type dnsZone struct {
	ID, Name string
}

// lookupDNSZone reads the hosted zone d names and checks that the record
// name lies inside it. It returns the zero dnsZone when d is nil.
func lookupDNSZone(ctx *pulumi.Context, d *DNSArgs, opts ...pulumi.InvokeOption) (dnsZone, error) {
	if d == nil {
		return dnsZone{}, nil
	}
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{ZoneId: &d.ZoneID}, opts...)
	if err != nil {
		return dnsZone{}, fmt.Errorf("dns.zoneId %q: looking up the hosted zone: %w", d.ZoneID, err)
	}
	z := dnsZone{ID: d.ZoneID, Name: normalizeDNSName(zone.Name)}
	if record := normalizeDNSName(d.RecordName); !recordInZone(record, z.Name) {
		return dnsZone{}, fmt.Errorf("dns.recordName %q: is not inside hosted zone %s (%s); want %s itself or a name ending in .%s",
			d.RecordName, d.ZoneID, z.Name, z.Name, z.Name)
	}
	return z, nil
}

// urlScheme is the scheme of the component's URL output: https when the
// instance terminates TLS itself (which requires the DNS record), else http.
func urlScheme(a SelfHealingInstanceArgs) string {
	if a.HTTPS != nil {
		return "https"
	}
	return "http"
}

// serviceURL is the URL that reaches host with scheme.
func serviceURL(scheme, host string) string {
	return scheme + "://" + host
}

// newDNSRecord publishes the Elastic IP as an A record when a.DNS is set,
// and sets the URL output: the record's name, or else the Elastic IP itself.
// The IP rather than the address's public DNS name: it needs no resolver,
// and EC2 hands out public DNS names only in VPCs with DNS host names on.
func (c *SelfHealingInstance) newDNSRecord(ctx *pulumi.Context, name string, a SelfHealingInstanceArgs, zone dnsZone,
	parent pulumi.ResourceOrInvokeOption,
) error {
	scheme := urlScheme(a)
	toURL := func(host string) string { return serviceURL(scheme, host) }
	if a.DNS == nil {
		c.URL = c.PublicIP.ApplyT(toURL).(pulumi.StringOutput)
		return nil
	}
	record, err := route53.NewRecord(ctx, name+"-dns", &route53.RecordArgs{
		ZoneId:  pulumi.String(zone.ID),
		Name:    pulumi.String(normalizeDNSName(a.DNS.RecordName)),
		Type:    pulumi.String("A"),
		Ttl:     pulumi.Int(a.DNS.ttl()),
		Records: pulumi.StringArray{c.PublicIP},
		// A name someone else already publishes is theirs: fail rather
		// than take it over.
		AllowOverwrite: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating the DNS record: %w", err)
	}
	c.URL = record.Name.ApplyT(toURL).(pulumi.StringOutput)
	return nil
}
