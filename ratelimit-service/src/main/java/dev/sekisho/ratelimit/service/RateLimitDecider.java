package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import dev.sekisho.ratelimit.repository.BlockStore;
import dev.sekisho.ratelimit.repository.Counter;
import dev.sekisho.ratelimit.repository.OverLimitCache;
import dev.sekisho.ratelimit.repository.RedisLimiter;
import dev.sekisho.ratelimit.repository.Verdict;
import dev.sekisho.ratelimit.policy.FailMode;
import dev.sekisho.ratelimit.policy.PolicyRegistry;
import dev.sekisho.ratelimit.policy.PolicySet;
import dev.sekisho.ratelimit.policy.Rule;
import io.smallrye.mutiny.Uni;

/**
 * The one place rate-limit decisions are made; Envoy's API, Sekisho's gRPC API and REST all call it.
 *
 * <p>Per request: refuse bad input; match each descriptor to its rule (blocks first, then Envoy's tree
 * matching, caller overrides, tenants, {@code replaces}); answer counters already known to be over their limit
 * from memory; decide the rest in Redis in one round trip; and when Redis does not answer in time, apply each
 * rule's fail mode.
 */
@ApplicationScoped
public class RateLimitDecider {

    @Inject
    PolicyRegistry policies;

    @Inject
    RedisLimiter limiter;

    @Inject
    OverLimitCache cache;

    @Inject
    BlockStore blocks;

    @Inject
    RateLimitSettings settings;

    @Inject
    RateLimitMetrics metrics;

    @Inject
    RedisOutage outage;

    @Inject
    DomainAccess access;

    /** Envoy's semantics: a request is over limit when any of its descriptors is. */
    public Uni<Decision> decide(String domain, List<DescriptorInput> descriptors, long requestHits, String tenant) {
        return Uni.createFrom().deferred(() -> {
            validate(domain, descriptors, requestHits);
            return access.authorize(domain).chain(() -> decideNow(domain, descriptors, requestHits, tenant));
        });
    }

    /** Sekisho's API: one named policy, a key set naming the values of the policy's descriptor path, a cost. */
    public Uni<CheckResult> check(String policyName, Map<String, String> keys, long cost, String tenant) {
        return Uni.createFrom().deferred(() -> checkNow(policyName, keys, cost, tenant));
    }

    private Uni<Decision> decideNow(String domain, List<DescriptorInput> descriptors, long requestHits, String tenant) {
        long start = System.nanoTime();
        PolicySet set = policies.current();
        long defaultCost = requestHits > 0 ? requestHits : 1;

        int n = descriptors.size();
        Decision.Status[] statuses = new Decision.Status[n];
        Rule[] rules = new Rule[n];
        for (int i = 0; i < n; i++) {
            DescriptorInput descriptor = descriptors.get(i);
            Optional<BlockStore.Block> block = blockOf(descriptor.entries());
            Rule rule = set.match(domain, descriptor.entries()).orElse(null);
            if (descriptor.hasOverride()) {
                rule = (rule != null ? rule : overrideOnly(domain))
                        .withOverride(descriptor.overrideRequestsPerUnit(), descriptor.overrideWindow());
            }
            rules[i] = rule == null ? null : rule.forTenant(tenant);
            if (block.isPresent()) {
                long retry = Math.max(0, Duration.between(Instant.now(), block.get().expiresAt()).toMillis());
                statuses[i] = new Decision.Status(Decision.Outcome.BLOCKED, rules[i], 0, retry, retry);
            }
        }
        dropReplaced(rules);

        List<Counter> counters = new ArrayList<>();
        List<Integer> counterIndex = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Rule rule = rules[i];
            if (statuses[i] != null) {
                continue;
            }
            if (rule == null || rule.unlimited()) {
                statuses[i] = rule == null ? Decision.Status.noLimit() : new Decision.Status(Decision.Outcome.NO_LIMIT, rule, 0, 0, 0);
                continue;
            }
            DescriptorInput descriptor = descriptors.get(i);
            long cost = descriptor.hitsAddend() > 0 ? descriptor.hitsAddend() : defaultCost;
            Counter counter = Counter.of(rule, tenant, flatten(descriptor.entries()), cost);
            long cachedRetry = cost == 1 ? cache.retryAfter(counter.key()) : 0;
            if (cachedRetry > 0) {
                statuses[i] = limited(rule, 0, cachedRetry, cachedRetry);
            } else {
                counters.add(counter);
                counterIndex.add(i);
            }
        }

        Uni<Void> redisPart = counters.isEmpty()
                ? Uni.createFrom().voidItem()
                : limiter.decide(counters)
                        .invoke(verdicts -> apply(verdicts, counters, counterIndex, statuses))
                        .onFailure().recoverWithUni(failure -> failOpenOrClosed(failure, counters, counterIndex, statuses))
                        .replaceWithVoid();
        return redisPart.map(ignored -> {
            boolean overLimit = false;
            boolean degraded = false;
            List<Decision.Status> result = new ArrayList<>(n);
            for (Decision.Status status : statuses) {
                overLimit |= status.denies();
                degraded |= status.outcome() == Decision.Outcome.DEGRADED;
                metrics.count(status);
                result.add(status);
            }
            metrics.latency(start);
            return new Decision(overLimit, degraded, result);
        });
    }

    private Uni<CheckResult> checkNow(String policyName, Map<String, String> keys, long cost, String tenant) {
        if (policyName == null || policyName.isBlank()) {
            throw ProblemException.badRequest("policy is required");
        }
        if (cost < 0 || cost > settings.limits().maxHitsAddend()) {
            throw ProblemException.badRequest("cost must be between 0 and " + settings.limits().maxHitsAddend());
        }
        Rule rule = policies.current().named(policyName)
                .orElseThrow(() -> ProblemException.notFound("no policy named " + shortened(policyName)));
        Map<String, String> remaining = new LinkedHashMap<>(keys);
        List<PolicySet.Entry> entries = new ArrayList<>(rule.path().size());
        for (Rule.PathStep step : rule.path()) {
            String value = remaining.remove(step.key());
            if (value == null) {
                value = step.value();
            } else if (step.value() != null && !step.value().equals(value)) {
                throw ProblemException.badRequest("policy " + policyName + " applies to " + step + " only");
            }
            if (value == null) {
                throw ProblemException.badRequest("policy " + policyName + " needs the key " + step.key());
            }
            entries.add(new PolicySet.Entry(step.key(), value));
        }
        if (!remaining.isEmpty()) {
            throw ProblemException.badRequest("policy " + policyName + " does not use the keys " + remaining.keySet().stream()
                    .map(RateLimitDecider::shortened).toList());
        }
        List<DescriptorInput> descriptor = List.of(new DescriptorInput(entries, -1, null, cost));
        validate(rule.domain(), descriptor, cost);
        return access.authorize(rule.domain()).chain(() -> decideNow(rule.domain(), descriptor, cost, tenant))
                .map(decision -> CheckResult.of(rule, decision));
    }

    private void apply(List<Verdict> verdicts, List<Counter> counters, List<Integer> index, Decision.Status[] statuses) {
        for (int c = 0; c < counters.size(); c++) {
            Verdict verdict = verdicts.get(c);
            Counter counter = counters.get(c);
            Rule rule = counter.rule();
            if (verdict.allowed()) {
                statuses[index.get(c)] = new Decision.Status(Decision.Outcome.ALLOWED, rule, verdict.remaining(),
                        verdict.resetMillis(), 0);
            } else {
                Decision.Status status = limited(rule, verdict.remaining(), verdict.resetMillis(), verdict.retryAfterMillis());
                if (status.outcome() == Decision.Outcome.LIMITED && counter.cost() == 1 && verdict.remaining() == 0) {
                    cache.overLimit(counter.key(), verdict.retryAfterMillis());
                }
                statuses[index.get(c)] = status;
            }
        }
    }

    private Uni<List<Verdict>> failOpenOrClosed(Throwable failure, List<Counter> counters, List<Integer> index,
            Decision.Status[] statuses) {
        outage.report(failure);
        boolean closed = false;
        for (int c = 0; c < counters.size(); c++) {
            Rule rule = counters.get(c).rule();
            if (rule.failMode() == FailMode.CLOSED && !shadow(rule)) {
                closed = true;
            }
            statuses[index.get(c)] = new Decision.Status(Decision.Outcome.DEGRADED, rule, 0, 0, 0);
        }
        if (closed) {
            for (int c = 0; c < counters.size(); c++) {
                metrics.count(counters.get(c).rule(), Decision.Outcome.DEGRADED);
            }
            return Uni.createFrom().failure(
                    ProblemException.unavailable("Rate-limit state is unreachable and the policy fails closed; retry shortly.", 1));
        }
        return Uni.createFrom().nullItem();
    }

    private Decision.Status limited(Rule rule, long remaining, long reset, long retry) {
        Decision.Outcome outcome = shadow(rule) ? Decision.Outcome.SHADOW_LIMITED : Decision.Outcome.LIMITED;
        return new Decision.Status(outcome, rule, remaining, reset, retry);
    }

    private boolean shadow(Rule rule) {
        return rule.shadowMode() || settings.shadowMode();
    }

    /** Rules named in another matched rule's {@code replaces} do not apply to this request. */
    private static void dropReplaced(Rule[] rules) {
        Set<String> replaced = new HashSet<>();
        for (Rule rule : rules) {
            if (rule != null) {
                replaced.addAll(rule.replaces());
            }
        }
        if (replaced.isEmpty()) {
            return;
        }
        for (int i = 0; i < rules.length; i++) {
            if (rules[i] != null && rules[i].name() != null && replaced.contains(rules[i].name())) {
                rules[i] = null;
            }
        }
    }

    /** A caller-supplied limit for a descriptor no rule matches: a fixed window, as in Envoy. */
    private Rule overrideOnly(String domain) {
        return Rule.unmatchedOverride(domain, FailMode.parse(settings.defaultFailMode()));
    }

    private Optional<BlockStore.Block> blockOf(List<PolicySet.Entry> entries) {
        for (PolicySet.Entry entry : entries) {
            BlockStore.IdentityType type = identityKeys().get(entry.key());
            if (type != null) {
                Optional<BlockStore.Block> block = blocks.blocked(type, entry.value());
                if (block.isPresent()) {
                    return block;
                }
            }
        }
        return Optional.empty();
    }

    private volatile Map<String, BlockStore.IdentityType> identityKeys;

    /** Which descriptor keys name an identity (remote_address: an IP, user_id: a user, ...). */
    private Map<String, BlockStore.IdentityType> identityKeys() {
        Map<String, BlockStore.IdentityType> keys = identityKeys;
        if (keys == null) {
            keys = new java.util.HashMap<>();
            for (String pair : settings.identityKeys()) {
                String[] parts = pair.split(":", 2);
                if (parts.length == 2) {
                    keys.put(parts[0].trim(), BlockStore.IdentityType.parse(parts[1]));
                }
            }
            identityKeys = keys = Map.copyOf(keys);
        }
        return keys;
    }

    private static List<String> flatten(List<PolicySet.Entry> entries) {
        List<String> parts = new ArrayList<>(entries.size() * 2);
        for (PolicySet.Entry entry : entries) {
            parts.add(entry.key());
            parts.add(entry.value());
        }
        return parts;
    }

    private void validate(String domain, List<DescriptorInput> descriptors, long requestHits) {
        RateLimitSettings.Limits limits = settings.limits();
        if (domain == null || domain.isBlank()) {
            throw ProblemException.badRequest("domain is required");
        }
        if (domain.length() > limits.maxKeyLength()) {
            throw ProblemException.badRequest("domain is longer than " + limits.maxKeyLength() + " characters");
        }
        if (descriptors.isEmpty()) {
            throw ProblemException.badRequest("at least one descriptor is required");
        }
        if (descriptors.size() > limits.maxDescriptors()) {
            throw ProblemException.badRequest("at most " + limits.maxDescriptors() + " descriptors per request");
        }
        if (requestHits < 0 || requestHits > limits.maxHitsAddend()) {
            throw ProblemException.badRequest("hits_addend must be between 0 and " + limits.maxHitsAddend());
        }
        for (DescriptorInput descriptor : descriptors) {
            if (descriptor.entries().isEmpty() || descriptor.entries().size() > limits.maxEntries()) {
                throw ProblemException.badRequest("each descriptor needs 1 to " + limits.maxEntries() + " entries");
            }
            if (descriptor.hitsAddend() < 0 || descriptor.hitsAddend() > limits.maxHitsAddend()) {
                throw ProblemException.badRequest("hits_addend must be between 0 and " + limits.maxHitsAddend());
            }
            if (descriptor.hasOverride() && descriptor.overrideRequestsPerUnit() > Integer.MAX_VALUE) {
                throw ProblemException.badRequest("limit override is too large");
            }
            if (descriptor.hasOverride() && descriptor.overrideWindow().compareTo(limits.maxOverrideWindow()) > 0) {
                // the window is the counter's lifetime in Redis: a caller may not keep keys for a year
                throw ProblemException.badRequest("limit override windows longer than " + limits.maxOverrideWindow()
                        + " are refused (sekisho.ratelimit.limits.max-override-window)");
            }
            for (PolicySet.Entry entry : descriptor.entries()) {
                if (entry.key() == null || entry.key().isEmpty() || entry.key().length() > limits.maxKeyLength()) {
                    throw ProblemException.badRequest("descriptor keys must have 1 to " + limits.maxKeyLength() + " characters");
                }
                if (entry.value() == null || entry.value().isEmpty() || entry.value().length() > limits.maxValueLength()) {
                    throw ProblemException.badRequest("descriptor values must have 1 to " + limits.maxValueLength() + " characters");
                }
            }
        }
    }

    private static String shortened(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
