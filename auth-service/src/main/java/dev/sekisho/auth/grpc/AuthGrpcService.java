package dev.sekisho.auth.grpc;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.auth.service.AccessReview;
import dev.sekisho.auth.service.UserDisabling;
import dev.sekisho.auth.v1.AccessEntry;
import dev.sekisho.auth.v1.Auth;
import dev.sekisho.auth.v1.ListAccessRequest;
import dev.sekisho.auth.v1.ListAccessResponse;
import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.auth.v1.DisableUserResponse;
import dev.sekisho.auth.v1.IntrospectRequest;
import dev.sekisho.auth.v1.IntrospectResponse;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.InvalidToken;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.security.TokenVerifier;
import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.peers.SecurityEvents.Who;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;

/** auth-service's API for the other services: local introspection, and disabling a user (alert playbooks). */
@GrpcService
public class AuthGrpcService implements Auth {

    @Inject
    TokenVerifier verifier;

    @Inject
    UserDisabling disabling;

    @Inject
    AccessReview review;

    @Inject
    CurrentIdentityAssociation identities;

    /** An inactive token is an answer (active=false with a reason), not an error; only a missing token is one. */
    @Override
    @RolesAllowed(Permissions.AUTH_INTROSPECT)
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
    @RolesAllowed({Permissions.AUTH_DISABLE_USER, Permissions.ADMIN})
    public Uni<DisableUserResponse> disableUser(DisableUserRequest request) {
        return identities.getDeferredIdentity()
                .flatMap(caller -> disabling.disable(request.getUser(), request.getReason(), Who.of(caller, "", ""),
                        caller.hasRole(Permissions.ADMIN)))
                .map(disabled -> DisableUserResponse.newBuilder().setUserId(disabled.userId())
                        .setWasEnabled(disabled.wasEnabled()).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    /** Who holds which reviewed role, and their manager: secrets-service's access review campaigns (audited). */
    @Override
    @RolesAllowed({Permissions.AUTH_READ_ACCESS, Permissions.ADMIN})
    public Uni<ListAccessResponse> listAccess(ListAccessRequest request) {
        return identities.getDeferredIdentity()
                .flatMap(caller -> review.read(30, Who.of(caller, "", "")))
                .map(read -> ListAccessResponse.newBuilder().addAllEntries(read.entries().stream()
                        .map(e -> AccessEntry.newBuilder().setUserId(e.id()).setUsername(e.username()).setEnabled(e.enabled())
                                .addAllRoles(e.roles()).setManager(e.manager()).build()).toList()).build())
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
