package dev.sekisho.alert.client;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.ServiceToken;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.BlockResponse;
import dev.sekisho.ratelimit.v1.Identity;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.ratelimit.v1.MutinyRateLimiterGrpc;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** The playbooks' call to ratelimit-service: a block, with alert-service's token (it holds {@code ratelimit:block}). */
@ApplicationScoped
public class RatelimitClient {

    @GrpcClient("ratelimit")
    MutinyRateLimiterGrpc.MutinyRateLimiterStub ratelimit;

    @Inject
    ServiceToken serviceToken;

    @ApplyGuard(Guards.RATELIMIT)
    public Uni<BlockResponse> block(IdentityType type, String value, Duration duration, String reason) {
        return ratelimit.withCallCredentials(serviceToken.credentials()).block(BlockRequest.newBuilder()
                .setIdentity(Identity.newBuilder().setType(type).setValue(value))
                .setDuration(com.google.protobuf.Duration.newBuilder().setSeconds(duration.toSeconds())).setReason(reason).build());
    }
}
