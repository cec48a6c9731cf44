package dev.sekisho.auth.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.ServiceToken;
import dev.sekisho.secrets.v1.MutinySecretsGrpc;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** auth-service's calls to secrets-service (API keys at the gateway), with this service's token. */
@ApplicationScoped
public class SecretsClient {

    @GrpcClient("secrets")
    MutinySecretsGrpc.MutinySecretsStub secrets;

    @Inject
    ServiceToken serviceToken;

    @ApplyGuard(Guards.API_KEYS)
    public Uni<VerifyApiKeyResponse> verifyApiKey(VerifyApiKeyRequest request) {
        return secrets.withCallCredentials(serviceToken.credentials()).verifyApiKey(request);
    }
}
