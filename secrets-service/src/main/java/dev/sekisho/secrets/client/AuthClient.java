package dev.sekisho.secrets.client;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.auth.v1.ListAccessRequest;
import dev.sekisho.auth.v1.ListAccessResponse;
import dev.sekisho.auth.v1.MutinyAuthGrpc;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.ServiceToken;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/** secrets-service's call to auth-service: who holds which role, for access review campaigns, with this service's token. */
@ApplicationScoped
public class AuthClient {

    static final Duration TIMEOUT = Duration.ofSeconds(15);

    @GrpcClient("auth")
    MutinyAuthGrpc.MutinyAuthStub auth;

    @Inject
    ServiceToken serviceToken;

    /** auth-service down or slow: 503 with Retry-After, and the campaign is not started. */
    public Uni<ListAccessResponse> listAccess() {
        return Uni.createFrom().deferred(() -> auth.withCallCredentials(serviceToken.credentials()).listAccess(ListAccessRequest.getDefaultInstance()))
                .ifNoItem().after(TIMEOUT).fail()
                .onFailure().transform(e -> ProblemException.unavailable("auth-service cannot say who holds which role now; try again shortly.", 10));
    }
}
