package dev.sekisho.ratelimit.grpc;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * Envoy's {@code envoy.service.ratelimit.v3.RateLimitService}, so an unmodified Envoy can call Sekisho.
 * No policies are loaded yet, and as in Envoy's reference service a descriptor that matches no rule is OK.
 */
@GrpcService
public class EnvoyRateLimitService implements RateLimitService {

    @Override
    public Uni<RateLimitResponse> shouldRateLimit(RateLimitRequest request) {
        RateLimitResponse.Builder response = RateLimitResponse.newBuilder().setOverallCode(RateLimitResponse.Code.OK);
        request.getDescriptorsList().forEach(d -> response.addStatuses(
                RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK)));
        return Uni.createFrom().item(response.build());
    }
}
