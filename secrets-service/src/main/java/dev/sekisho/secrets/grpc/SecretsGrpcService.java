package dev.sekisho.secrets.grpc;

import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.secrets.service.Accessor;
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
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * {@code sekisho.secrets.v1.Secrets} over gRPC: the same operations as REST, through the same {@link SecretsVault}
 * (access policies on the caller's verified roles, audit before the answer). API keys and transit are answered
 * UNIMPLEMENTED until they are built.
 */
@GrpcService
@Authenticated
public class SecretsGrpcService implements Secrets {

    @Inject
    SecretsVault vault;

    @Inject
    SecurityIdentity caller;

    @Override
    public Uni<GetSecretResponse> getSecret(GetSecretRequest request) {
        return Uni.createFrom().deferred(() -> vault.get(Accessor.of(caller, "", ""), request.getPath(), request.getVersion()))
                .map(value -> GetSecretResponse.newBuilder().setPath(value.path()).setVersion(value.version()).putAllData(value.data())
                        .setCreatedAt(Timestamp.newBuilder().setSeconds(value.createdAt().getEpochSecond())
                                .setNanos(value.createdAt().getNano()))
                        .build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    @Override
    public Uni<VerifyApiKeyResponse> verifyApiKey(VerifyApiKeyRequest request) {
        return notYet();
    }

    @Override
    public Uni<RevokeApiKeyResponse> revokeApiKey(RevokeApiKeyRequest request) {
        return notYet();
    }

    @Override
    public Uni<EncryptResponse> encrypt(EncryptRequest request) {
        return notYet();
    }

    @Override
    public Uni<DecryptResponse> decrypt(DecryptRequest request) {
        return notYet();
    }

    private static <T> Uni<T> notYet() {
        return Uni.createFrom().failure(Status.UNIMPLEMENTED.withDescription("not built yet").asRuntimeException());
    }
}
