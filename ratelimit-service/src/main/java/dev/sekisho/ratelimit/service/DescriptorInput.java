package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.util.List;

import dev.sekisho.ratelimit.policy.PolicySet;

/**
 * One descriptor of a request, transport-neutral: its entries, an optional caller-supplied limit (Envoy's
 * override), and its own hit count (0: the request's).
 */
public record DescriptorInput(List<PolicySet.Entry> entries, long overrideRequestsPerUnit, Duration overrideWindow,
        long hitsAddend) {

    public static DescriptorInput of(List<PolicySet.Entry> entries) {
        return new DescriptorInput(entries, -1, null, 0);
    }

    public boolean hasOverride() {
        return overrideWindow != null && overrideRequestsPerUnit >= 0;
    }
}
