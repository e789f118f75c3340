// CIDR host patterns as Kafka 4.4 reads them (assembly/policy/cidr.ts): which patterns its
// controller takes (CidrUtils.validate: commons-net SubnetUtils, SubnetUtils6 with
// InetAddress.getByName), and which client addresses each holds (CidrUtils.isInRange, with
// SubnetUtils' inclusive host count). Random policies are held to Kafka's StandardAuthorizer in
// test/policy/acl-differential.test.ts; these are the edges read from those classes.

import { parseCidr } from "../../assembly/policy/cidr";
import { Policy } from "../../assembly/policy/policy";

function holds(pattern: string, host: string): bool {
  const range = parseCidr(pattern);
  return range != null && range.contains(host);
}

describe("CIDR host patterns", () => {
  it("takes the patterns Kafka's controller takes", () => {
    const taken = ["10.0.0.0/8", "0.0.0.0/0", "255.255.255.255/32", "010.0.0.0/8", "10.0.0.1/30", "::/0", "::1/128",
      "[::1]/128", "2001:db8::/+32", "2001:DB8::/032", "::10.0.0.1/128", "1:2:3:4:5:6:7::/64", "1:2:3:4:5:6:7:8/128"];
    for (let i = 0; i < taken.length; i++) expect(parseCidr(taken[i]) != null).toBe(true, taken[i]);
  });

  it("refuses those it refuses", () => {
    const refused = ["10.0.0.0/33", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "10.0.0.0/008", "10.0.0.0/", "/8", "10.0.0.0/8/8",
      "1000.0.0.0/8", "10.0.0.0/-1", "::ffff:10.0.0.0/104", "::ffff:a00:0/104", "::/129", "fe80::1%eth0/64", "1:2:3:4:5:6:7:8:9/64",
      ":::/0", "1::2::3/64", "abcde::/16", ":1::/16", "1:/16", "::/", "::/x", "1.2.3.4::/64", "10.0.0.0/8 "];
    for (let i = 0; i < refused.length; i++) expect(parseCidr(refused[i]) == null).toBe(true, refused[i]);
  });

  it("holds the addresses Kafka's isInRange holds", () => {
    expect(holds("10.0.0.0/8", "10.0.0.0")).toBe(true); // the network address too (inclusive host count)
    expect(holds("10.0.0.0/8", "10.255.255.255")).toBe(true); // and the broadcast address
    expect(holds("10.0.0.0/8", "11.0.0.0")).toBe(false);
    expect(holds("10.0.0.1/30", "10.0.0.3")).toBe(true); // the pattern's host bits do not matter
    expect(holds("10.0.0.1/30", "10.0.0.4")).toBe(false);
    expect(holds("0.0.0.0/0", "1.2.3.4")).toBe(true);
    expect(holds("0.0.0.0/0", "0.0.0.0")).toBe(false); // SubnetUtils: 0.0.0.0 is in no range
    expect(holds("0.0.0.0/0", "0:0:0:0:0:0:0:1")).toBe(false); // another family
    expect(holds("::/0", "1.2.3.4")).toBe(false);
    expect(holds("::/0", "0:0:0:0:0:0:0:1")).toBe(true);
    expect(holds("::/0", "0:0:0:0:0:0:0:0")).toBe(true);
    expect(holds("::1/128", "0:0:0:0:0:0:0:1")).toBe(true);
    expect(holds("fe80::/10", "febf:0:0:0:0:0:0:1")).toBe(true);
    expect(holds("fe80::/10", "fec0:0:0:0:0:0:0:1")).toBe(false);
    expect(holds("fe80::/10", "fe80:0:0:0:0:0:0:1%eth0")).toBe(true); // Java prints a scoped address so
    expect(holds("2001:db8::/32", "2001:db8:ffff:0:0:0:0:5")).toBe(true);
    expect(holds("2001:db8::/127", "2001:db8:0:0:0:0:0:1")).toBe(true);
    expect(holds("2001:db8::/128", "2001:db8:0:0:0:0:0:1")).toBe(false);
    expect(holds("::10.0.0.0/120", "0:0:0:0:0:0:a00:ff")).toBe(true);
    expect(holds("10.0.0.0/8", "10.0.0.1:5000")).toBe(false); // an address as Java prints it, nothing else
  });

  it("a policy with a host Kafka would refuse does not load, and says why", () => {
    const loaded = Policy.load("{\"allowEveryoneIfNoAclFound\":false,\"acls\":[{\"principal\":\"User:*\",\"host\":\"10.0.0.0/33\"," +
      "\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\"}]}");
    expect(loaded.policy == null).toBe(true);
    expect(loaded.error.includes("acls[0].host")).toBe(true, loaded.error);
    expect(loaded.error.includes("not a CIDR range")).toBe(true, loaded.error);
  });

  it("a DENY for a range applies to an address in it, an ALLOW for a range grants it", () => {
    const loaded = Policy.load("{\"allowEveryoneIfNoAclFound\":false,\"acls\":[" +
      "{\"principal\":\"User:*\",\"host\":\"*\",\"resourceType\":\"TOPIC\",\"resourceName\":\"orders\",\"operation\":\"WRITE\",\"permissionType\":\"ALLOW\"}," +
      "{\"principal\":\"User:*\",\"host\":\"10.0.0.0/8\",\"resourceType\":\"TOPIC\",\"resourceName\":\"orders\",\"operation\":\"WRITE\",\"permissionType\":\"DENY\"}," +
      "{\"principal\":\"User:*\",\"host\":\"192.168.0.0/16\",\"resourceType\":\"TOPIC\",\"resourceName\":\"audit\",\"operation\":\"WRITE\",\"permissionType\":\"ALLOW\"}]}");
    const p = loaded.policy!;
    expect(p.authorize("User:x", "10.1.2.3", 2, "orders", 4).allowed).toBe(false);
    expect(p.authorize("User:x", "192.168.1.1", 2, "orders", 4).allowed).toBe(true);
    expect(p.authorize("User:x", "192.168.1.1", 2, "audit", 4).allowed).toBe(true);
    expect(p.authorize("User:x", "10.1.2.3", 2, "audit", 4).allowed).toBe(false);
  });
});
