package dev.sekisho.ratelimit.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import dev.sekisho.common.policy.InvalidPolicyException;
import dev.sekisho.common.policy.PolicyFiles;

/** Reads a directory of policy files into a {@link PolicySet}, or says which file, line and why it cannot. */
public final class PolicyLoader {

    private final FailMode defaultFailMode;

    public PolicyLoader(FailMode defaultFailMode) {
        this.defaultFailMode = defaultFailMode;
    }

    /** The policy files of a directory, sorted, so that loading is deterministic. */
    public static List<Path> files(Path dir) throws IOException {
        return PolicyFiles.in(dir);
    }

    public PolicySet load(List<Path> files) throws InvalidPolicyException {
        PolicySet.Builder builder = PolicySet.builder();
        for (Path file : files) {
            compile(file.getFileName().toString(), PolicyFiles.read(file, PolicyFile.class), builder);
        }
        List<String> unknown = builder.unknownReplaces();
        if (!unknown.isEmpty()) {
            throw new InvalidPolicyException(files.isEmpty() ? "-" : "(all files)", 0, String.join("; ", unknown));
        }
        return builder.build();
    }

    private void compile(String file, PolicyFile parsed, PolicySet.Builder builder) throws InvalidPolicyException {
        if (!builder.domain(parsed.domain(), Boolean.TRUE.equals(parsed.protectedDomain()))) {
            throw new InvalidPolicyException(file, 0, "domain '" + parsed.domain() + "' is defined by another file too");
        }
        walk(file, parsed.domain(), parsed.descriptors(), List.of(), builder);
    }

    private void walk(String file, String domain, List<PolicyFile.Descriptor> descriptors, List<Rule.PathStep> parent,
            PolicySet.Builder builder) throws InvalidPolicyException {
        var seen = new LinkedHashSet<Rule.PathStep>();
        for (PolicyFile.Descriptor d : descriptors) {
            List<Rule.PathStep> path = new ArrayList<>(parent);
            Rule.PathStep step = new Rule.PathStep(d.key(), d.value());
            path.add(step);
            if (!seen.add(step)) {
                throw new InvalidPolicyException(file, 0, "descriptor " + pathText(path) + " is defined twice");
            }
            if (d.rateLimit() != null) {
                Rule rule;
                try {
                    rule = rule(domain, List.copyOf(path), d.rateLimit(), Boolean.TRUE.equals(d.shadowMode()));
                } catch (IllegalArgumentException e) {
                    throw new InvalidPolicyException(file, 0, pathText(path) + ": " + e.getMessage());
                }
                if (!builder.add(rule)) {
                    throw new InvalidPolicyException(file, 0, "rule name '" + rule.name() + "' is used twice");
                }
            } else {
                builder.path(domain, List.copyOf(path));
            }
            walk(file, domain, d.descriptors(), path, builder);
        }
    }

    private Rule rule(String domain, List<Rule.PathStep> path, PolicyFile.Limit limit, boolean shadow) {
        Algorithm algorithm = Algorithm.parse(limit.algorithm());
        FailMode failMode = limit.failMode() == null ? defaultFailMode : FailMode.parse(limit.failMode());
        var replaces = new LinkedHashSet<String>();
        limit.replaces().forEach(r -> replaces.add(r.name()));
        if (Boolean.TRUE.equals(limit.unlimited())) {
            return new Rule(limit.name(), domain, path, algorithm, Long.MAX_VALUE, Duration.ofSeconds(1), 1, failMode,
                    shadow, true, replaces, Map.of());
        }
        Duration window = limit.unit() != null ? Windows.unit(limit.unit()) : Windows.per(limit.per());
        long rate = limit.requestsPerUnit();
        long burst = limit.burst() != null ? limit.burst() : Math.max(1, rate);
        Map<String, Rule> tenants = new HashMap<>();
        for (var tenant : limit.tenants().entrySet()) {
            PolicyFile.TenantLimit t = tenant.getValue();
            Duration tenantWindow = t.unit() != null ? Windows.unit(t.unit()) : t.per() != null ? Windows.per(t.per()) : window;
            long tenantBurst = t.burst() != null ? t.burst() : Math.max(1, t.requestsPerUnit());
            tenants.put(tenant.getKey(), new Rule(limit.name(), domain, path, algorithm, t.requestsPerUnit(), tenantWindow,
                    tenantBurst, failMode, shadow, false, replaces, Map.of()));
        }
        return new Rule(limit.name(), domain, path, algorithm, rate, window, burst, failMode, shadow, false, replaces, tenants);
    }

    private static String pathText(List<Rule.PathStep> path) {
        return String.join("/", path.stream().map(Rule.PathStep::toString).toList());
    }

}
