package dev.sekisho.ratelimit.policy;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One policy file as written: Envoy's reference rate-limit config format (domain, nested descriptors,
 * rate_limit with unit and requests_per_unit, shadow_mode, unlimited, replaces) plus Sekisho's extensions in
 * rate_limit: algorithm, per (any window), burst, fail_mode and per-tenant overrides, and {@code protected: true}
 * on a domain that only callers with {@code ratelimit:decide:<domain>} may spend. Constructors reject what cannot be
 * right; Jackson reports where in the file it was.
 */
public record PolicyFile(String domain, List<Descriptor> descriptors, @JsonProperty("protected") Boolean protectedDomain) {

    public PolicyFile {
        if (domain == null || domain.isBlank()) {
            throw new IllegalArgumentException("domain is required");
        }
        descriptors = descriptors == null ? List.of() : List.copyOf(descriptors);
    }

    public record Descriptor(
            String key,
            String value,
            @JsonProperty("rate_limit") Limit rateLimit,
            List<Descriptor> descriptors,
            @JsonProperty("shadow_mode") Boolean shadowMode,
            // Envoy's reference accepts these for its statistics; Sekisho accepts and ignores them.
            @JsonProperty("detailed_metric") Boolean detailedMetric,
            @JsonProperty("value_to_metric") Boolean valueToMetric) {

        public Descriptor {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("descriptor key is required");
            }
            descriptors = descriptors == null ? List.of() : List.copyOf(descriptors);
        }
    }

    public record Limit(
            String name,
            String unit,
            @JsonProperty("requests_per_unit") Long requestsPerUnit,
            Boolean unlimited,
            List<Replace> replaces,
            String algorithm,
            String per,
            Long burst,
            @JsonProperty("fail_mode") String failMode,
            Map<String, TenantLimit> tenants) {

        public Limit {
            replaces = replaces == null ? List.of() : List.copyOf(replaces);
            tenants = tenants == null ? Map.of() : Map.copyOf(tenants);
            boolean isUnlimited = Boolean.TRUE.equals(unlimited);
            if (!isUnlimited) {
                if (requestsPerUnit == null || requestsPerUnit < 0) {
                    throw new IllegalArgumentException("rate_limit needs requests_per_unit >= 0 (or unlimited: true)");
                }
                if ((unit == null) == (per == null)) {
                    throw new IllegalArgumentException("rate_limit needs exactly one of unit or per");
                }
            }
            if (burst != null && burst < 1) {
                throw new IllegalArgumentException("burst must be at least 1");
            }
            // Parsed here, not later, so that a mistake is reported with its line.
            Algorithm parsedAlgorithm = Algorithm.parse(algorithm);
            if (burst != null && parsedAlgorithm != Algorithm.TOKEN_BUCKET) {
                throw new IllegalArgumentException("burst applies to algorithm token_bucket only");
            }
            if (unit != null) {
                Windows.unit(unit);
            }
            if (per != null) {
                Windows.per(per);
            }
            if (failMode != null) {
                FailMode.parse(failMode);
            }
        }
    }

    public record Replace(String name) {
        public Replace {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("replaces entries need a name");
            }
        }
    }

    /** A tenant's own rate for the same rule; the algorithm and window shape stay the rule's. */
    public record TenantLimit(
            @JsonProperty("requests_per_unit") Long requestsPerUnit,
            String unit,
            String per,
            Long burst) {

        public TenantLimit {
            if (requestsPerUnit == null || requestsPerUnit < 0) {
                throw new IllegalArgumentException("tenant override needs requests_per_unit >= 0");
            }
            if (unit != null && per != null) {
                throw new IllegalArgumentException("tenant override takes unit or per, not both");
            }
            if (unit != null) {
                Windows.unit(unit);
            }
            if (per != null) {
                Windows.per(per);
            }
            if (burst != null && burst < 1) {
                throw new IllegalArgumentException("burst must be at least 1");
            }
        }
    }
}
