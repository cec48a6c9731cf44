package dev.sekisho.auth.grpc;

import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import com.google.protobuf.Timestamp;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.auth.review.AccessReview;
import dev.sekisho.auth.token.InvalidToken;
import dev.sekisho.auth.token.TokenVerifier;
import dev.sekisho.auth.token.VerifiedToken;
import dev.sekisho.auth.v1.Auth;
import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.auth.v1.DisableUserResponse;
import dev.sekisho.auth.v1.IntrospectRequest;
import dev.sekisho.auth.v1.IntrospectResponse;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/** auth-service's API for the other services: local introspection, and disabling a user (alert playbooks). */
@GrpcService
public class AuthGrpcService implements Auth {

    @Inject
    TokenVerifier verifier;

    @Inject
    AccessReview review;

    @Inject
    SecurityEvents events;

    @Inject
    JsonWebToken caller;

    /** An inactive token is an answer (active=false with a reason), not an error; only a missing token is one. */
    @Override
    @RolesAllowed("service")
    public Uni<IntrospectResponse> introspect(IntrospectRequest request) {
        if (request.getToken().isEmpty()) {
            return Uni.createFrom().failure(GrpcProblems.invalidArgument("token is required"));
        }
        return verifier.verify(request.getToken())
                .map(AuthGrpcService::active)
                .onFailure(InvalidToken.class).recoverWithItem(e -> IntrospectResponse.newBuilder()
                        .setActive(false).setInactiveReason(e.getMessage()).build())
                .onFailure(TokenVerifier.RevocationListUnavailable.class).transform(e -> Status.UNAVAILABLE
                        .withDescription("the revocation list cannot be read; retry").asRuntimeException());
    }

    @Override
    @RolesAllowed({"service", "admin"})
    public Uni<DisableUserResponse> disableUser(DisableUserRequest request) {
        return Uni.createFrom().item(() -> review.disable(request.getUser()))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .call(disabled -> events.audit("auth.user.disabled",
                        new SecurityEvents.Who(ActorType.ACTOR_TYPE_SERVICE, caller.getName(), "", "", caller.getClaim("azp")),
                        "user", disabled.userId(), Outcome.OUTCOME_SUCCESS, request.getReason(),
                        Map.of("username", disabled.username(), "was_enabled", String.valueOf(disabled.wasEnabled()))))
                .map(disabled -> DisableUserResponse.newBuilder().setUserId(disabled.userId())
                        .setWasEnabled(disabled.wasEnabled()).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    static IntrospectResponse active(VerifiedToken token) {
        IntrospectResponse.Builder response = IntrospectResponse.newBuilder()
                .setActive(true)
                .setSubject(nz(token.subject()))
                .setUsername(nz(token.username()))
                .addAllRoles(token.roles())
                .addAllScopes(token.scopes())
                .setClientId(nz(token.clientId()))
                .setTokenId(nz(token.tokenId()))
                .setIssuer(nz(token.issuer()));
        if (token.expiresAt() != null) {
            response.setExpiresAt(Timestamp.newBuilder().setSeconds(token.expiresAt().getEpochSecond()));
        }
        return response.build();
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }
}
