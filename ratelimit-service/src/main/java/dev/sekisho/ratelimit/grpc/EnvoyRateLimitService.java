package dev.sekisho.ratelimit.grpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jakarta.inject.Inject;

import com.google.protobuf.UInt64Value;

import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import dev.sekisho.ratelimit.policy.PolicySet;
import dev.sekisho.ratelimit.policy.Rule;
import dev.sekisho.ratelimit.policy.Windows;
import dev.sekisho.ratelimit.service.Decision;
import dev.sekisho.ratelimit.service.DescriptorInput;
import dev.sekisho.ratelimit.service.RateLimitDecider;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitService;
import io.envoyproxy.envoy.type.v3.RateLimitUnit;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** Envoy's {@code envoy.service.ratelimit.v3.RateLimitService}, so an unmodified Envoy can call Sekisho. */
@GrpcService
public class EnvoyRateLimitService implements RateLimitService {

    @Inject
    RateLimitDecider decider;

    @Inject
    RateLimitSettings settings;

    @Override
    public Uni<RateLimitResponse> shouldRateLimit(RateLimitRequest request) {
        return Uni.createFrom().deferred(() -> decider.decide(request.getDomain(), descriptors(request),
                        Integer.toUnsignedLong(request.getHitsAddend()), null))
                .map(this::response)
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    private List<DescriptorInput> descriptors(RateLimitRequest request) {
        if (request.getDescriptorsCount() > settings.limits().maxDescriptors()) {
            throw ProblemException.badRequest("at most " + settings.limits().maxDescriptors() + " descriptors per request");
        }
        List<DescriptorInput> descriptors = new ArrayList<>(request.getDescriptorsCount());
        for (RateLimitDescriptor d : request.getDescriptorsList()) {
            List<PolicySet.Entry> entries = new ArrayList<>(d.getEntriesCount());
            d.getEntriesList().forEach(e -> entries.add(new PolicySet.Entry(e.getKey(), e.getValue())));
            long hits = d.hasHitsAddend() ? hits(d.getHitsAddend()) : 0;
            if (d.hasLimit()) {
                descriptors.add(new DescriptorInput(entries, Integer.toUnsignedLong(d.getLimit().getRequestsPerUnit()),
                        unit(d.getLimit().getUnit()), hits));
            } else {
                descriptors.add(new DescriptorInput(entries, -1, null, hits));
            }
        }
        return descriptors;
    }

    private static long hits(UInt64Value value) {
        long hits = value.getValue();
        if (hits < 0) { // above 2^63 as an unsigned value
            throw ProblemException.badRequest("hits_addend is too large");
        }
        return hits;
    }

    private static Duration unit(RateLimitUnit unit) {
        if (unit == RateLimitUnit.UNKNOWN || unit == RateLimitUnit.UNRECOGNIZED) {
            throw ProblemException.badRequest("a limit override needs a known unit");
        }
        return Windows.unit(unit.name());
    }

    private RateLimitResponse response(Decision decision) {
        RateLimitResponse.Builder response = RateLimitResponse.newBuilder()
                .setOverallCode(decision.overLimit() ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK);
        for (Decision.Status status : decision.statuses()) {
            RateLimitResponse.DescriptorStatus.Builder s = RateLimitResponse.DescriptorStatus.newBuilder()
                    .setCode(status.denies() ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK);
            Rule rule = status.rule();
            if (rule != null && !rule.unlimited()) {
                s.setCurrentLimit(currentLimit(rule))
                        .setLimitRemaining((int) Math.min(Integer.MAX_VALUE, status.remaining()))
                        .setDurationUntilReset(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(status.resetMillis() / 1000)
                                .setNanos((int) (status.resetMillis() % 1000) * 1_000_000));
            }
            response.addStatuses(s);
        }
        Decision.Status advertised = decision.mostRestrictive();
        if (settings.responseHeaders() && advertised != null) {
            Rule rule = advertised.rule();
            response.addResponseHeadersToAdd(header("RateLimit-Limit",
                    rule.limit() + ", " + rule.limit() + ";w=" + Math.max(1, rule.window().toSeconds())));
            response.addResponseHeadersToAdd(header("RateLimit-Remaining", String.valueOf(advertised.remaining())));
            response.addResponseHeadersToAdd(header("RateLimit-Reset", String.valueOf(ceilSeconds(advertised.resetMillis()))));
        }
        return response.build();
    }

    private static RateLimitResponse.RateLimit currentLimit(Rule rule) {
        RateLimitResponse.RateLimit.Builder limit = RateLimitResponse.RateLimit.newBuilder()
                .setRequestsPerUnit((int) Math.min(Integer.MAX_VALUE, rule.limit()));
        String unit = Windows.envoyUnit(rule.window());
        limit.setUnit(unit == null ? RateLimitResponse.RateLimit.Unit.UNKNOWN
                : RateLimitResponse.RateLimit.Unit.valueOf(unit.toUpperCase(Locale.ROOT)));
        if (rule.name() != null) {
            limit.setName(rule.name());
        }
        return limit.build();
    }

    private static HeaderValue header(String key, String value) {
        return HeaderValue.newBuilder().setKey(key).setValue(value).build();
    }

    static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }
}
