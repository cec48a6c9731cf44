package dev.sekisho.auth.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.ProtoDelivery;
import dev.sekisho.peers.ServiceToken;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.CheckResponse;
import dev.sekisho.ratelimit.v1.MutinyRateLimiterGrpc;
import io.envoyproxy.envoy.service.ratelimit.v3.MutinyRateLimitServiceGrpc;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** auth-service's calls to ratelimit-service, each guarded by its own policy (timeout, breaker, bulkhead). */
@ApplicationScoped
public class RatelimitClient {

    @GrpcClient("ratelimit")
    MutinyRateLimitServiceGrpc.MutinyRateLimitServiceStub envoyApi;

    @GrpcClient("ratelimit")
    MutinyRateLimiterGrpc.MutinyRateLimiterStub sekishoApi;

    @GrpcClient("ratelimit")
    io.grpc.Channel channel;

    @Inject
    ServiceToken serviceToken;

    /**
     * The login budget: the protected domain {@code auth}, decided only for auth-service's identity, so the call
     * carries this service's token.
     */
    @ApplyGuard(Guards.LOGIN_BUDGET)
    public Uni<RateLimitResponse> spendLoginBudget(RateLimitRequest request) {
        return envoyApi.withCallCredentials(serviceToken.credentials()).shouldRateLimit(request);
    }

    /**
     * A gateway request's budget, in an open domain: no token, so that the gateway's budget does not depend on
     * Keycloak, which may be down while bearer tokens are still verified from cached keys.
     */
    @ApplyGuard(Guards.GATEWAY_BUDGET)
    public Uni<CheckResponse> gatewayBudget(CheckRequest request) {
        return sekishoApi.check(request);
    }

    /**
     * A real decision in the login budget's domain, with this service's token, for a descriptor no rule counts
     * (unguarded, spends nothing): it connects the channel, fetches the token, and has ratelimit-service verify it,
     * so that the first login pays for none of that.
     */
    public Uni<RateLimitResponse> warmUp(String domain) {
        return envoyApi.withCallCredentials(serviceToken.credentials()).shouldRateLimit(RateLimitRequest.newBuilder().setDomain(domain)
                .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder()
                        .setKey("sekisho_readiness").setValue("probe")))
                .build())
                // readiness asks again within a second: dial again then, not after grpc-java's reconnect backoff
                .onFailure(ProtoDelivery::unavailable).invoke(() -> ProtoDelivery.reconnectNow(channel));
    }
}
