package dev.sekisho.alert.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sekisho.common.policy.InvalidPolicyException;

/** The Sigma subset: what compiles, what a rule matches, and every refusal with its line and reason. */
class RuleCompilerTest {

    static Signal signal(String kind, Map<String, String> labels) {
        return new Signal("00000000-0000-0000-0000-000000000001", kind, "auth-service", "info", Instant.now(), labels, "", "", "");
    }

    static RuleSet compile(String yaml) throws InvalidPolicyException {
        return RuleCompiler.compile("test.yaml", yaml);
    }

    static InvalidPolicyException refused(String yaml) {
        return assertThrows(InvalidPolicyException.class, () -> compile(yaml));
    }

    static final String BASE = """
            title: Failed login
            id: failed
            logsource: {product: sekisho, service: auth-service}
            detection:
              selection:
                kind: auth.login.failed
              filter:
                user|startswith: svc-
              condition: selection and not filter
            level: low
            """;

    @Test
    void selectionsModifiersAndConditionsMatchAsSigmaSays() throws Exception {
        RuleSet set = compile(BASE);
        Rule rule = set.rules().get(0);
        assertTrue(rule.matches(signal("auth.login.failed", Map.of("user", "alice"))));
        assertTrue(rule.matches(signal("AUTH.LOGIN.FAILED", Map.of("user", "alice"))), "Sigma's strings match case-insensitively");
        assertFalse(rule.matches(signal("auth.login.failed", Map.of("user", "SVC-batch"))), "the filter excludes service accounts");
        assertFalse(rule.matches(signal("auth.login.succeeded", Map.of("user", "alice"))));
        assertTrue(rule.generate(), "a rule no correlation uses fires alerts of its own");
        assertEquals("low", rule.severity());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "ip|cidr: 10.0.0.0/8;10.1.2.3;true", "ip|cidr: 10.0.0.0/8;11.1.2.3;false", "ip|cidr: ['fd00::/8', 192.168.0.0/16];fd00::1;true",
            "ip: 10.*.3;10.1.2.3;true", "ip: 10.?.2.3;10.1.2.3;true", "ip: 10.?.2.3;10.11.2.3;false",
            "ip|contains: .2.;10.1.2.3;true", "ip|endswith: .3;10.1.2.3;true", "ip|endswith: .4;10.1.2.3;false",
            "ip|cased: ABC;abc;false", "ip|cased: ABC;ABC;true", "ip|contains|all: [a, b];xaxbx;true", "ip|contains|all: [a, b];xax;false",
            "ip: 'a\\*';a*;true", "ip: 'a\\*';ab;false", "ip|exists: true;1.2.3.4;true", "labels.ip: 1.2.3.4;1.2.3.4;true"})
    void fieldModifiers(String selection, String ip, boolean matches) throws Exception {
        RuleSet set = compile("""
                title: t
                id: r
                logsource: {product: sekisho}
                detection:
                  s:
                    %s
                  condition: s
                """.formatted(selection));
        assertEquals(matches, set.rules().get(0).matches(signal("auth.login.failed", Map.of("ip", ip))), selection + " on " + ip);
    }

    @Test
    void aMissingFieldMatchesNullAndNotExists() throws Exception {
        RuleSet set = compile("""
                title: t
                id: r
                logsource: {product: sekisho}
                detection:
                  nouser:
                    user: null
                  noip:
                    ip|exists: false
                  condition: nouser and noip
                """);
        assertTrue(set.rules().get(0).matches(signal("x.y", Map.of())));
        assertFalse(set.rules().get(0).matches(signal("x.y", Map.of("user", "a"))));
    }

    @Test
    void conditionsWithOfThemParenthesesAndNot() throws Exception {
        RuleSet set = compile("""
                title: t
                id: r
                logsource: {product: sekisho}
                detection:
                  sel_a: {kind: a.x}
                  sel_b: {kind: b.x}
                  other: {user: root}
                  condition: (1 of sel_*) and not other
                """);
        Rule rule = set.rules().get(0);
        assertTrue(rule.matches(signal("a.x", Map.of())));
        assertTrue(rule.matches(signal("b.x", Map.of("user", "alice"))));
        assertFalse(rule.matches(signal("b.x", Map.of("user", "root"))));
        assertFalse(rule.matches(signal("c.x", Map.of())));
        RuleSet all = compile("""
                title: t
                id: r
                logsource: {product: sekisho}
                detection:
                  one: {kind|startswith: auth.}
                  two: {user: alice}
                  condition: all of them
                """);
        assertTrue(all.rules().get(0).matches(signal("auth.login.failed", Map.of("user", "alice"))));
        assertFalse(all.rules().get(0).matches(signal("auth.login.failed", Map.of("user", "bob"))));
    }

    @Test
    void aListOfMapsIsAnOrAndALogsourceServiceNarrowsTheRule() throws Exception {
        RuleSet set = compile("""
                title: t
                id: r
                logsource: {product: sekisho, service: secrets-service}
                detection:
                  s:
                    - kind: secret.denied
                    - kind: secret.tampered
                  condition: s
                """);
        Rule rule = set.rules().get(0);
        Signal denied = new Signal("00000000-0000-0000-0000-000000000001", "secret.denied", "secrets-service", "info", Instant.now(),
                Map.of(), "", "", "");
        assertTrue(rule.matches(denied));
        assertFalse(rule.matches(signal("secret.denied", Map.of())), "from auth-service, not the rule's service");
    }

    @Test
    void correlationsResolveTheirRulesAndTakeTheirAlertsAway() throws Exception {
        RuleSet set = compile(BASE + """
                ---
                title: Brute force
                id: brute
                name: brute_force
                correlation:
                  type: event_count
                  rules: [failed]
                  group-by: [user]
                  timespan: 1m
                  condition: {gte: 5}
                level: high
                ---
                title: Spraying
                id: spray
                correlation:
                  type: value_count
                  rules: failed
                  group-by: [ip]
                  timespan: 5m
                  condition: {field: user, gt: 9}
                ---
                title: Then success
                id: then
                correlation:
                  type: temporal_ordered
                  rules: [brute_force, failed]
                  group-by: [user]
                  timespan: 10m
                """);
        assertFalse(set.rules().get(0).generate(), "a rule a correlation uses fires no alert of its own (Sigma's default)");
        Correlation brute = set.correlations().get(0);
        assertEquals(Correlation.Type.EVENT_COUNT, brute.type());
        assertEquals(5, brute.threshold());
        assertEquals(Duration.ofMinutes(1), brute.timespan());
        assertFalse(brute.generate(), "used by 'then'");
        Correlation spray = set.correlations().get(1);
        assertEquals(10, spray.threshold(), "gt 9 is gte 10");
        assertEquals("user", spray.field());
        assertTrue(spray.generate());
        assertEquals(List.of("brute_force", "failed"), set.correlations().get(2).rules());
        assertEquals(List.of(brute, set.correlations().get(2)).size(), set.fedBy("brute_force").size() + 1);
        assertEquals(3, set.fedBy("failed").size(), "failed feeds brute, spray and then");
    }

    @Test
    void generateTrueKeepsARulesOwnAlerts() throws Exception {
        RuleSet set = compile(BASE.replace("level: low", "level: low\ngenerate: true") + """
                ---
                title: c
                id: c
                correlation: {type: event_count, rules: [failed], timespan: 1m, condition: {gte: 2}}
                """);
        assertTrue(set.rules().get(0).generate());
    }

    @Test
    void extensionsForRateAnomalyAndAbsence() throws Exception {
        RuleSet set = compile("""
                title: Heartbeat
                id: beat
                logsource: {product: sekisho}
                detection:
                  s: {kind: service.heartbeat}
                  condition: s
                ---
                title: Silent
                id: silent
                correlation: {type: x-absence, rules: [beat], group-by: [service], timespan: 30s}
                ---
                title: Surge
                id: surge
                correlation: {type: x-rate-anomaly, rules: [beat], group-by: [service], timespan: 1m, condition: {gte: 20},
                  x-factor: 4, x-learning-buckets: 10}
                """);
        assertEquals(List.of(set.correlations().get(0)), set.absences());
        Correlation surge = set.correlations().get(1);
        assertEquals(4.0, surge.factor());
        assertEquals(10, surge.learningBuckets());
        assertEquals(20, surge.threshold());
    }

    @Test
    void refusalsNameTheLineAndTheReason() {
        record Case(String yaml, int line, String reason) {
        }
        List<Case> cases = List.of(
                new Case(BASE.replace("user|startswith", "user|re"), 8, "regular expressions are not supported"),
                new Case(BASE.replace("user|startswith", "user|wobble"), 8, "unknown modifier |wobble"),
                new Case(BASE.replace("selection and not filter", "selection | count() > 5"), 9, "aggregations in a condition"),
                new Case(BASE.replace("selection and not filter", "selection and nothing"), 9, "names 'nothing'"),
                new Case(BASE.replace("selection and not filter", "(selection"), 9, "is not closed"),
                new Case(BASE.replace("product: sekisho", "product: windows"), 3, "product is sekisho"),
                new Case(BASE.replace("level: low", "level: severe"), 10, "level is one of"),
                new Case(BASE.replace("level: low", "colour: blue"), 10, "unknown key 'colour'"),
                new Case(BASE.replace("    kind: auth.login.failed", "    - auth\n    - login"), 6, "keyword searches"),
                new Case(BASE.replace("id: failed\n", ""), 1, "needs an 'id'"),
                new Case(BASE + "---\n" + BASE, 12, "'failed' names two rules"),
                new Case("""
                        title: c
                        id: c
                        correlation: {type: event_count, rules: [nothing], timespan: 1m, condition: {gte: 2}}
                        """, 3, "uses 'nothing', which is no rule"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: event_count, rules: [failed], timespan: 1m, condition: {lt: 2}}
                        """, 14, "condition lt is not supported"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: event_count, rules: [failed], timespan: 1 minute, condition: {gte: 2}}
                        """, 14, "timespan is a number and a unit"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: event_count, rules: [failed], timespan: 30d, condition: {gte: 2}}
                        """, 14, "at most 7d"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: value_count, rules: [failed], timespan: 1m, condition: {gte: 2}}
                        """, 14, "condition needs 'field'"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: temporal, rules: [failed, failed], timespan: 1m}
                        """, 14, "temporal (unordered) is not supported"),
                new Case(BASE + """
                        ---
                        title: a
                        id: a
                        correlation: {type: event_count, rules: [b], timespan: 1m, condition: {gte: 2}}
                        ---
                        title: b
                        id: b
                        correlation: {type: event_count, rules: [a], timespan: 1m, condition: {gte: 2}}
                        """, 14, "in a cycle"),
                new Case(BASE + """
                        ---
                        title: c
                        id: c
                        correlation: {type: event_count, rules: [failed], timespan: 1m, condition: {gte: 2}, aliases: {}}
                        """, 14, "aliases are not supported"),
                new Case("title: [unclosed", 1, "not valid YAML"));
        for (Case c : cases) {
            InvalidPolicyException e = refused(c.yaml());
            assertTrue(e.getMessage().contains(c.reason()), c.reason() + " in: " + e.getMessage());
            assertEquals(c.line(), e.line(), "the line of: " + e.getMessage());
        }
    }

    @Test
    void theShippedRulesCompile() throws Exception {
        Path dir = Path.of("../deploy/alert/rules");
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        RuleSet set = RuleCompiler.compile(files);
        assertTrue(set.correlations().stream().anyMatch(c -> c.type() == Correlation.Type.VALUE_COUNT), "password spraying");
        assertTrue(set.correlations().stream().anyMatch(c -> c.type() == Correlation.Type.TEMPORAL_ORDERED), "failures then success");
        assertTrue(set.size() >= 10);
    }
}
