package dev.sekisho.auth.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;

import dev.sekisho.peers.ServiceToken;
import dev.sekisho.secrets.v1.ClientStandingRequest;
import dev.sekisho.secrets.v1.ClientStandingResponse;
import dev.sekisho.secrets.v1.MutinyIntegrationsGrpc;
import dev.sekisho.secrets.v1.MutinySecretsGrpc;
import dev.sekisho.secrets.v1.OwnerLeftRequest;
import dev.sekisho.secrets.v1.OwnerLeftResponse;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** auth-service's calls to secrets-service (API keys at the gateway, leavers' integrations), with this service's token. */
@ApplicationScoped
public class SecretsClient {

    @GrpcClient("secrets")
    MutinySecretsGrpc.MutinySecretsStub secrets;

    @GrpcClient("secrets")
    MutinyIntegrationsGrpc.MutinyIntegrationsStub integrations;

    @Inject
    ServiceToken serviceToken;

    /** Whether a machine token's client is an integration's, and where that integration stands (ext_authz). */
    @ApplyGuard(Guards.API_KEYS)
    public Uni<ClientStandingResponse> clientStanding(String clientId) {
        return secrets.withCallCredentials(serviceToken.credentials()).clientStanding(ClientStandingRequest.newBuilder()
                .setClientId(clientId).build());
    }

    /** A leaver: secrets-service suspends the integrations they own. Retried by the caller until it answers. */
    public Uni<OwnerLeftResponse> suspendOwnedBy(String owner, String reason) {
        return integrations.withCallCredentials(serviceToken.credentials())
                .suspendIntegrationsOwnedBy(OwnerLeftRequest.newBuilder().setOwner(owner).setReason(reason).build())
                .ifNoItem().after(Duration.ofSeconds(10)).fail();
    }

    @ApplyGuard(Guards.API_KEYS)
    public Uni<VerifyApiKeyResponse> verifyApiKey(VerifyApiKeyRequest request) {
        return secrets.withCallCredentials(serviceToken.credentials()).verifyApiKey(request);
    }
}
