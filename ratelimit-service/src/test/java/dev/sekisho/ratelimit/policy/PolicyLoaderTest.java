package dev.sekisho.ratelimit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sekisho.common.policy.InvalidPolicyException;

class PolicyLoaderTest {

    @TempDir
    Path dir;

    private final PolicyLoader loader = new PolicyLoader(FailMode.OPEN);

    /** The example from Envoy's reference service README, unchanged. */
    private static final String ENVOY_REFERENCE = """
            domain: mongo_cps
            descriptors:
              - key: database
                value: users
                rate_limit:
                  unit: second
                  requests_per_unit: 500

              - key: database
                value: default
                rate_limit:
                  unit: second
                  requests_per_unit: 500
                shadow_mode: true
                detailed_metric: true

              - key: remote_address
                rate_limit:
                  unit: minute
                  requests_per_unit: 10
                descriptors:
                  - key: path
                    value: /foo
                    rate_limit:
                      name: foo-path
                      unit: hour
                      requests_per_unit: 2
                  - key: path
                    rate_limit:
                      unlimited: true
            """;

    @Test
    void readsEnvoysReferenceFormatUnchanged() throws Exception {
        PolicySet set = load("mongo.yaml", ENVOY_REFERENCE);
        Rule users = set.match("mongo_cps", entries("database", "users")).orElseThrow();
        assertEquals(500, users.limit());
        assertEquals(Duration.ofSeconds(1), users.window());
        assertEquals(Algorithm.FIXED_WINDOW, users.algorithm());
        assertTrue(set.match("mongo_cps", entries("database", "default")).orElseThrow().shadowMode());
        assertTrue(set.match("mongo_cps", entries("database", "other")).isEmpty(), "unmatched value has no limit");
        assertTrue(set.match("other_domain", entries("database", "users")).isEmpty());
    }

    @Test
    void matchesNestedDescriptorsExactValueFirst() throws Exception {
        PolicySet set = load("mongo.yaml", ENVOY_REFERENCE);
        assertEquals(10, set.match("mongo_cps", entries("remote_address", "10.0.0.1")).orElseThrow().limit());
        assertEquals("foo-path", set.match("mongo_cps", entries("remote_address", "10.0.0.1", "path", "/foo")).orElseThrow().name());
        assertTrue(set.match("mongo_cps", entries("remote_address", "10.0.0.1", "path", "/bar")).orElseThrow().unlimited());
        assertTrue(set.match("mongo_cps", entries("remote_address", "1", "path", "/foo", "extra", "x")).isEmpty(),
                "every entry must be consumed");
        assertEquals("foo-path", set.named("foo-path").orElseThrow().name());
    }

    @Test
    void readsSekishosExtensions() throws Exception {
        PolicySet set = load("auth.yaml", """
                domain: auth
                protected: true
                descriptors:
                  - key: username
                    rate_limit: {name: login, algorithm: sliding_window, per: 5m, requests_per_unit: 10, fail_mode: closed}
                  - key: client
                    rate_limit:
                      name: client
                      algorithm: token_bucket
                      per: 90s
                      requests_per_unit: 30
                      burst: 5
                      tenants:
                        acme: {requests_per_unit: 300, burst: 50}
                """);
        Rule login = set.named("login").orElseThrow();
        assertTrue(set.isProtected("auth"));
        assertFalse(set.isProtected("mongo_cps"));
        assertEquals(Algorithm.SLIDING_WINDOW, login.algorithm());
        assertEquals(Duration.ofMinutes(5), login.window());
        assertEquals(FailMode.CLOSED, login.failMode());
        Rule client = set.named("client").orElseThrow();
        assertEquals(5, client.burst());
        assertEquals(Duration.ofSeconds(90), client.window());
        assertEquals(300, client.forTenant("acme").limit());
        assertEquals(50, client.forTenant("acme").burst());
        assertEquals(30, client.forTenant("someone-else").limit());
    }

    @Test
    void aMistakeIsReportedWithFileLineAndReason() throws IOException {
        var e = reject("bad.yaml", """
                domain: d
                descriptors:
                  - key: k
                    rate_limit:
                      unit: fortnight
                      requests_per_unit: 5
                """);
        assertEquals("bad.yaml", e.file());
        assertTrue(e.line() >= 4 && e.line() <= 6, "line " + e.line());
        assertTrue(e.getMessage().contains("unknown unit 'fortnight'"), e.getMessage());
    }

    @Test
    void malformedYamlIsRejectedWithItsLine() throws IOException {
        var e = reject("broken.yaml", "domain: d\ndescriptors:\n  - key: k\n   rate_limit: [\n");
        assertEquals("broken.yaml", e.file());
        assertTrue(e.line() > 0, e.getMessage());
    }

    @Test
    void unknownFieldsAreRejectedNotIgnored() throws IOException {
        var e = reject("typo.yaml", "domain: d\ndescriptors:\n  - key: k\n    rate_limt: {unit: second, requests_per_unit: 1}\n");
        assertTrue(e.getMessage().contains("rate_limt"), e.getMessage());
        assertEquals(4, e.line());
    }

    @Test
    void contradictionsAreRejected() throws IOException {
        assertTrue(reject("a.yaml", "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, per: 5s, requests_per_unit: 1}\n")
                .getMessage().contains("exactly one of unit or per"));
        assertTrue(reject("b.yaml", "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: 1, burst: 3}\n")
                .getMessage().contains("token_bucket"));
        assertTrue(reject("c.yaml", "descriptors: []\n").getMessage().contains("domain is required"));
        assertTrue(reject("d.yaml", "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {per: 0s, requests_per_unit: 1}\n")
                .getMessage().contains("per must be"));
    }

    @Test
    void aDomainOrANameDefinedTwiceIsRejected() throws IOException {
        Files.writeString(dir.resolve("one.yaml"), "domain: d\ndescriptors:\n  - key: a\n    rate_limit: {name: n, unit: second, requests_per_unit: 1}\n");
        Files.writeString(dir.resolve("two.yaml"), "domain: d\ndescriptors: []\n");
        var e = assertThrows(InvalidPolicyException.class, () -> loader.load(PolicyLoader.files(dir)));
        assertTrue(e.getMessage().contains("defined by another file"), e.getMessage());

        Files.writeString(dir.resolve("two.yaml"), "domain: e\ndescriptors:\n  - key: b\n    rate_limit: {name: n, unit: second, requests_per_unit: 1}\n");
        e = assertThrows(InvalidPolicyException.class, () -> loader.load(PolicyLoader.files(dir)));
        assertTrue(e.getMessage().contains("used twice"), e.getMessage());
    }

    @Test
    void replacesMustNameAKnownRule() throws IOException {
        var e = reject("r.yaml", "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {name: a, unit: second, requests_per_unit: 1, replaces: [{name: ghost}]}\n");
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    private PolicySet load(String name, String yaml) throws Exception {
        Files.writeString(dir.resolve(name), yaml);
        return loader.load(PolicyLoader.files(dir));
    }

    private InvalidPolicyException reject(String name, String yaml) throws IOException {
        Files.writeString(dir.resolve(name), yaml);
        try {
            return assertThrows(InvalidPolicyException.class, () -> loader.load(List.of(dir.resolve(name))));
        } finally {
            Files.delete(dir.resolve(name));
        }
    }

    private static List<PolicySet.Entry> entries(String... keysAndValues) {
        List<PolicySet.Entry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            entries.add(new PolicySet.Entry(keysAndValues[i], keysAndValues[i + 1]));
        }
        return entries;
    }
}
