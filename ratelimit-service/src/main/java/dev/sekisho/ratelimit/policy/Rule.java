package dev.sekisho.ratelimit.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled limit: what a matched descriptor is counted against. {@code path} is where the rule sits in its
 * domain's descriptor tree; {@code fingerprint} changes whenever the counting changes, so a reload never reads
 * counters written under another algorithm or window.
 */
public record Rule(
        String name,
        String domain,
        List<PathStep> path,
        Algorithm algorithm,
        long limit,
        Duration window,
        long burst,
        FailMode failMode,
        boolean shadowMode,
        boolean unlimited,
        Set<String> replaces,
        Map<String, Rule> tenants) {

    /** One level of the descriptor tree: a key, and the value it must have (null: any value). */
    public record PathStep(String key, String value) {
        @Override
        public String toString() {
            return value == null ? key : key + "=" + value;
        }
    }

    public String fingerprint() {
        return algorithm.configName() + ":" + limit + ":" + window.toMillis() + ":" + burst;
    }

    /** The rule with a tenant's own rate, or this rule when the tenant has none. */
    public Rule forTenant(String tenant) {
        if (tenant == null || tenant.isEmpty()) {
            return this;
        }
        return tenants.getOrDefault(tenant, this);
    }

    /** The same rule with a caller-supplied rate (Envoy's per-descriptor limit override). */
    public Rule withOverride(long requestsPerUnit, Duration unitWindow) {
        return new Rule(name, domain, path, algorithm, requestsPerUnit, unitWindow,
                algorithm == Algorithm.TOKEN_BUCKET ? Math.max(1, requestsPerUnit) : burst, failMode, shadowMode, false,
                replaces, Map.of());
    }

    /** The metric label of every descriptor no policy file rule matched (rule-less, or a caller's override only). */
    public static final String UNMATCHED = "unmatched";

    /**
     * A caller's limit override for a descriptor no rule matches (Envoy's semantics: a fixed window). It has no path:
     * nothing of what the caller sent (domain, keys, values) ever names it in a metric or a message.
     */
    public static Rule unmatchedOverride(String domain, FailMode failMode) {
        return new Rule(null, domain, List.of(), Algorithm.FIXED_WINDOW, 0, Duration.ofSeconds(1), 1, failMode, false, false,
                Set.of(), Map.of());
    }

    /**
     * A human-readable identity for metrics and errors, from the policy file only: the name, or domain and path;
     * {@link #UNMATCHED} for a caller's override of an unmatched descriptor.
     */
    public String label() {
        if (name != null) {
            return name;
        }
        return path.isEmpty() ? UNMATCHED : domain + ":" + String.join("/", path.stream().map(PathStep::toString).toList());
    }
}
