package dev.sekisho.secrets.grpc;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.common.net.PeerAddress;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.ApiKeys;
import dev.sekisho.secrets.service.SecretsVault;
import dev.sekisho.secrets.v1.DecryptRequest;
import dev.sekisho.secrets.v1.DecryptResponse;
import dev.sekisho.secrets.v1.EncryptRequest;
import dev.sekisho.secrets.v1.EncryptResponse;
import dev.sekisho.secrets.v1.GetSecretRequest;
import dev.sekisho.secrets.v1.GetSecretResponse;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.RevokeApiKeyResponse;
import dev.sekisho.secrets.v1.Secrets;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;

/**
 * {@code sekisho.secrets.v1.Secrets} over gRPC: the same operations as REST, through the same {@link SecretsVault}
 * (access policies on the caller's verified roles, audit before the answer), and API-key checks for the gateway.
 * Transit is answered UNIMPLEMENTED until it is built.
 */
@GrpcService
@Authenticated
public class SecretsGrpcService implements Secrets {

    @Inject
    SecretsVault vault;

    @Inject
    ApiKeys apiKeys;

    @Inject
    CurrentIdentityAssociation identities;

    @Override
    public Uni<GetSecretResponse> getSecret(GetSecretRequest request) {
        return accessor().chain(who -> vault.get(who, request.getPath(), request.getVersion()))
                .map(value -> GetSecretResponse.newBuilder().setPath(value.path()).setVersion(value.version()).putAllData(value.data())
                        .setCreatedAt(Timestamp.newBuilder().setSeconds(value.createdAt().getEpochSecond())
                                .setNanos(value.createdAt().getNano()))
                        .build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    /** The gateway's question (auth-service's ext_authz): the key's id, owner and scopes, or why it is refused. */
    @Override
    @RolesAllowed(Permissions.SECRETS_VERIFY_API_KEY)
    public Uni<VerifyApiKeyResponse> verifyApiKey(VerifyApiKeyRequest request) {
        if (request.getApiKey().length() > 512 || request.getSourceIp().length() > 64) {
            return Uni.createFrom().failure(GrpcProblems.invalidArgument("api_key or source_ip is too long"));
        }
        return accessor().chain(who -> apiKeys.verify(who, request.getApiKey(), request.getSourceIp()))
                .map(v -> VerifyApiKeyResponse.newBuilder().setValid(v.valid()).setKeyId(v.id()).setOwner(v.owner())
                        .addAllRoles(v.scopes()).setReason(v.reason()).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    /** Alert playbooks revoke a key they caught misbehaving. */
    @Override
    @RolesAllowed({Permissions.SECRETS_REVOKE_API_KEY, Permissions.ADMIN})
    public Uni<RevokeApiKeyResponse> revokeApiKey(RevokeApiKeyRequest request) {
        return accessor().chain(who -> apiKeys.revoke(who, request.getKeyId(), request.getReason()))
                .map(revoked -> RevokeApiKeyResponse.newBuilder().setRevoked(revoked).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    @Override
    public Uni<EncryptResponse> encrypt(EncryptRequest request) {
        return notYet();
    }

    @Override
    public Uni<DecryptResponse> decrypt(DecryptRequest request) {
        return notYet();
    }

    /** The verified caller, resolved without blocking the event loop. */
    private Uni<Accessor> accessor() {
        String peer = PeerAddress.current();
        return identities.getDeferredIdentity().map(identity -> Accessor.of(identity, peer, ""));
    }

    private static <T> Uni<T> notYet() {
        return Uni.createFrom().failure(Status.UNIMPLEMENTED.withDescription("not built yet").asRuntimeException());
    }
}
