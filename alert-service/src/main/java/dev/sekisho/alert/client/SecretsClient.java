package dev.sekisho.alert.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.ServiceToken;
import dev.sekisho.secrets.v1.MutinySecretsGrpc;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.RevokeApiKeyResponse;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** The playbooks' call to secrets-service: revoke an API key caught misbehaving. */
@ApplicationScoped
public class SecretsClient {

    @GrpcClient("secrets")
    MutinySecretsGrpc.MutinySecretsStub secrets;

    @Inject
    ServiceToken serviceToken;

    @ApplyGuard(Guards.SECRETS)
    public Uni<RevokeApiKeyResponse> revokeApiKey(String keyId, String reason) {
        return secrets.withCallCredentials(serviceToken.credentials()).revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId(keyId)
                .setReason(reason).build());
    }
}
