package dev.sekisho.common.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;

/**
 * A permission check where {@code @RolesAllowed} cannot be used without blocking: in gRPC services written against
 * grpc-java's base classes (their methods return void, so Quarkus would wait for the caller's token on the event
 * loop), and where the permission depends on the request (ratelimit-service's protected domains). Same outcome as
 * the annotation: 401 / UNAUTHENTICATED without a valid token, 403 / PERMISSION_DENIED without the permission.
 */
@ApplicationScoped
public class CallerPermissions {

    @Inject
    CurrentIdentityAssociation identities;

    /** The verified caller when it holds at least one of {@code permissions}; a failed Uni with the problem otherwise. */
    public Uni<VerifiedToken> require(String... permissions) {
        Set<String> wanted = Set.of(permissions);
        return identities.getDeferredIdentity().map(identity -> {
            VerifiedToken caller = VerifiedToken.of(identity);
            if (caller == null) {
                throw new ProblemException(ProblemType.UNAUTHORIZED, "A valid bearer token is required.");
            }
            if (caller.roles().stream().noneMatch(wanted::contains)) {
                throw new ProblemException(ProblemType.FORBIDDEN, "The caller's roles do not allow this operation.");
            }
            return caller;
        });
    }
}
