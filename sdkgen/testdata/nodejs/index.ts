// Creates a SelfHealingInstance from the installed SDK under Pulumi's mocks,
// with one input (subnetIds) taken from another mocked resource's output,
// and prints, as one JSON line, what the mocks were asked to register and
// the component's outputs as the program sees them.
import * as pulumi from "@pulumi/pulumi";
import * as selfhealing from "@selfhealing-dev/selfhealing";

type Registration = { type: string; name: string; inputs: any };
const registered: Registration[] = [];

pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            if (args.type === "selfhealing:index:SelfHealingInstance") {
                return { id: "", state: { ...args.inputs, publicIp: "203.0.113.10", url: "http://203.0.113.10" } };
            }
            return { id: `${args.name}-id`, state: { ...args.inputs, subnetId: "subnet-0123456789abcdef0" } };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    },
    "sdk-test",
    "dev",
    false,
);

class Subnet extends pulumi.CustomResource {
    declare public readonly subnetId: pulumi.Output<string>;
    constructor(name: string) {
        super("aws:ec2/subnet:Subnet", name, { subnetId: undefined });
    }
}

const subnet = new Subnet("app");
const web = new selfhealing.SelfHealingInstance("web", {
    instanceType: "t4g.small",
    subnetIds: [subnet.subnetId],
    metadataHopLimit: 2,
    dataVolume: { sizeGiB: 8 },
});

pulumi.all([web.urn, web.publicIp, web.url]).apply(([urn, publicIp, url]) => {
    console.log(JSON.stringify({ registered, urn, publicIp, url }));
});
