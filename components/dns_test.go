package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
)

const recordType = "aws:route53/record:Record"

func withDNS(d *components.DNSArgs) *components.SelfHealingInstanceArgs {
	return &components.SelfHealingInstanceArgs{DNS: d}
}

func TestDNSRecordPointsAtTheElasticIP(t *testing.T) {
	d := mustDeploy(t, withDNS(&components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "app.example.com"}))
	record := inputs(d.One(recordType))
	eip := plainOutputs(d.One("aws:ec2/eip:Eip")).(map[string]any)
	for field, want := range map[string]any{
		"zoneId":         fake.StandInZoneID,
		"name":           "app.example.com",
		"type":           "A",
		"ttl":            float64(components.DefaultDNSTTL),
		"allowOverwrite": false,
	} {
		if got := record[field]; got != want {
			t.Errorf("record %s = %#v, want %#v", field, got, want)
		}
	}
	if got := toStrings(record["records"]); len(got) != 1 || got[0] != eip["publicIp"] || got[0] == "" {
		t.Errorf("record records = %v, want exactly the Elastic IP %v", record["records"], eip["publicIp"])
	}
	if got := d.Outputs["url"]; got != "http://app.example.com" {
		t.Errorf("url = %v, want http://app.example.com", got)
	}
	// Route 53 records take no tags, and nothing else may appear in the
	// record's inputs unannounced (aliases, routing policies).
	for field := range record {
		switch field {
		case "zoneId", "name", "type", "ttl", "records", "allowOverwrite":
		default:
			t.Errorf("record sets unexpected input %s = %v", field, record[field])
		}
	}
}

func TestDNSNamesAreNormalizedAndTTLIsConfigurable(t *testing.T) {
	for _, tc := range []struct {
		name, record, zone string
		ttl                *int
		wantName           string
		wantTTL            float64
	}{
		{"upper case and trailing dot", "App.Example.COM.", "example.com", nil, "app.example.com", 60},
		{"zone reported with a trailing dot", "app.example.com", "Example.com.", intPtr(300), "app.example.com", 300},
		{"zone apex", "example.com", "example.com", intPtr(0), "example.com", 0},
		{"wildcard", "*.dev.example.com", "example.com", intPtr(3600), "*.dev.example.com", 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDeploy(t, withDNS(&components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: tc.record, TTL: tc.ttl}),
				func(a *fake.Account) { a.Zones[fake.StandInZoneID] = fake.Zone{Name: tc.zone} })
			record := inputs(d.One(recordType))
			if record["name"] != tc.wantName || record["ttl"] != tc.wantTTL {
				t.Errorf("record name %v ttl %v, want %s and %v", record["name"], record["ttl"], tc.wantName, tc.wantTTL)
			}
			if got := d.Outputs["url"]; got != "http://"+tc.wantName {
				t.Errorf("url = %v, want http://%s", got, tc.wantName)
			}
		})
	}
}

func TestWithoutDNSTheURLIsTheElasticIP(t *testing.T) {
	d := mustDeploy(t, nil)
	if n := len(d.Monitor.ByType(recordType)); n != 0 {
		t.Errorf("%d DNS records without DNS args", n)
	}
	if got, ip := d.Outputs["url"], d.Outputs["publicIp"]; got != "http://"+ip.(string) || ip == "" {
		t.Errorf("url = %v, want http:// and the Elastic IP %v", got, ip)
	}

	existing := mustDeploy(t, &components.SelfHealingInstanceArgs{AllocationID: pulumi.String("eipalloc-0123456789abcdef0")})
	if got := existing.Outputs["url"]; got != "http://198.51.100.10" {
		t.Errorf("url with an existing address = %v, want http://198.51.100.10", got)
	}
}

func TestDNSRecordOutsideTheZoneIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dns    components.DNSArgs
		shape  func(*fake.Account)
		want   []string
		absent string
	}{
		{"another domain", components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "app.example.org"},
			func(a *fake.Account) { a.Zones[fake.StandInZoneID] = fake.Zone{Name: "example.com."} },
			[]string{"dns.recordName", `"app.example.org"`, "not inside hosted zone", "example.com", "ending in .example.com"}, "example.com."},
		// A plain suffix test would let this through, and AWS would refuse it.
		{"a suffix but not a subdomain", components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "badexample.com"}, nil,
			[]string{"dns.recordName", `"badexample.com"`, "not inside hosted zone"}, ""},
		{"the parent of the zone", components.DNSArgs{ZoneID: pulumi.String("Z0AAAAAAAAAAAAAAAAAAA"), RecordName: "example.com"},
			func(a *fake.Account) { a.Zones["Z0AAAAAAAAAAAAAAAAAAA"] = fake.Zone{Name: "dev.example.com"} },
			[]string{"dns.recordName", "not inside hosted zone Z0AAAAAAAAAAAAAAAAAAA (dev.example.com)"}, ""},
		{"unknown zone", components.DNSArgs{ZoneID: pulumi.String("Z0FFFFFFFFFFFFFFFFFFF"), RecordName: "app.example.com"}, nil,
			[]string{"dns.zoneId", `"Z0FFFFFFFFFFFFFFFFFFF"`, "looking up the hosted zone", "NoSuchHostedZone"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shapes []func(*fake.Account)
			if tc.shape != nil {
				shapes = append(shapes, tc.shape)
			}
			d, err := deploy(t, withDNS(&tc.dns), shapes...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if tc.absent != "" && strings.Contains(err.Error(), tc.absent) {
				t.Errorf("error %q shows the zone name unnormalized (%q)", err, tc.absent)
			}
			for _, r := range d.Monitor.Resources() {
				if r.Custom {
					t.Errorf("%s %s was created before the error", r.Type, r.Name)
				}
			}
		})
	}
}

func TestInvalidDNSArgumentsNameTheFieldAndWhatIsAllowed(t *testing.T) {
	zone := fake.StandInZoneID
	for _, tc := range []struct {
		name string
		dns  components.DNSArgs
		want []string
	}{
		{"no zone", components.DNSArgs{RecordName: "app.example.com"}, []string{"dns.zoneId", "empty", "Z0123456789ABCDEFGHIJ"}},
		{"zone with prefix", components.DNSArgs{ZoneID: pulumi.String("/hostedzone/" + zone), RecordName: "app.example.com"}, []string{"dns.zoneId", "without the /hostedzone/ prefix", `"` + zone + `"`}},
		{"zone in lower case", components.DNSArgs{ZoneID: pulumi.String("z0123456789"), RecordName: "app.example.com"}, []string{"dns.zoneId", `"z0123456789"`, "upper-case letters and digits"}},
		{"zone name for id", components.DNSArgs{ZoneID: pulumi.String("example.com"), RecordName: "app.example.com"}, []string{"dns.zoneId", `"example.com"`, "Route 53 hosted zone id"}},
		{"no record", components.DNSArgs{ZoneID: pulumi.String(zone)}, []string{"dns.recordName", "empty", "app.example.com"}},
		{"underscore", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "my_app.example.com"}, []string{"dns.recordName", `label "my_app"`, "letters, digits and hyphens"}},
		{"leading hyphen", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "-app.example.com"}, []string{"dns.recordName", `label "-app"`}},
		{"empty label", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "app..example.com"}, []string{"dns.recordName", `label ""`}},
		{"a URL, not a name", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "https://app.example.com"}, []string{"dns.recordName", `"https://app.example.com"`}},
		{"long label", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: strings.Repeat("a", 64) + ".example.com"}, []string{"dns.recordName", "1 to 63"}},
		{"long name", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: strings.Repeat("abcdefgh.", 28) + "example.com"}, []string{"dns.recordName", "263 characters", "253"}},
		{"wildcard inside", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "app.*.example.com"}, []string{"dns.recordName", `label "*"`}},
		{"negative ttl", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "app.example.com", TTL: intPtr(-1)}, []string{"dns.ttl", "-1", "0 to 2147483647"}},
		{"huge ttl", components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "app.example.com", TTL: intPtr(1 << 31)}, []string{"dns.ttl", "2147483648", "0 to 2147483647"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := deploy(t, withDNS(&tc.dns))
			if err == nil {
				t.Fatalf("accepted %+v", tc.dns)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(d.Monitor.Resources()); n != 0 {
				t.Errorf("%d resources were registered before the error", n)
			}
		})
	}
	// The largest TTL Route 53 takes is accepted.
	mustDeploy(t, withDNS(&components.DNSArgs{ZoneID: pulumi.String(zone), RecordName: "app.example.com", TTL: intPtr(1<<31 - 1)}))
}
