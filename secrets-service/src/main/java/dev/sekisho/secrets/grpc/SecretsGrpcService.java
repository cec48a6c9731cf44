package dev.sekisho.secrets.grpc;

import java.time.Instant;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;

import dev.sekisho.common.net.PeerAddress;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.ApiKeys;
import dev.sekisho.secrets.service.SecretsVault;
import dev.sekisho.secrets.service.Tokenizer;
import dev.sekisho.secrets.service.Transit;
import dev.sekisho.secrets.v1.ClientStandingRequest;
import dev.sekisho.secrets.v1.ClientStandingResponse;
import dev.sekisho.secrets.v1.DataKeyRequest;
import dev.sekisho.secrets.v1.DataKeyResponse;
import dev.sekisho.secrets.v1.DecryptRequest;
import dev.sekisho.secrets.v1.DecryptResponse;
import dev.sekisho.secrets.v1.DetokenizeRequest;
import dev.sekisho.secrets.v1.DetokenizeResponse;
import dev.sekisho.secrets.v1.DetokenizedValue;
import dev.sekisho.secrets.v1.EncryptRequest;
import dev.sekisho.secrets.v1.EncryptResponse;
import dev.sekisho.secrets.v1.GetSecretMetadataRequest;
import dev.sekisho.secrets.v1.GetSecretRequest;
import dev.sekisho.secrets.v1.GetSecretResponse;
import dev.sekisho.secrets.v1.HmacRequest;
import dev.sekisho.secrets.v1.HmacResponse;
import dev.sekisho.secrets.v1.IssuedToken;
import dev.sekisho.secrets.v1.ListSecretsRequest;
import dev.sekisho.secrets.v1.ListSecretsResponse;
import dev.sekisho.secrets.v1.PutSecretRequest;
import dev.sekisho.secrets.v1.PutSecretResponse;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.RevokeApiKeyResponse;
import dev.sekisho.secrets.v1.SecretMetadata;
import dev.sekisho.secrets.v1.SecretVersionInfo;
import dev.sekisho.secrets.v1.SecretVersionsRequest;
import dev.sekisho.secrets.v1.SecretVersionsResponse;
import dev.sekisho.secrets.v1.Secrets;
import dev.sekisho.secrets.v1.TokenizeRequest;
import dev.sekisho.secrets.v1.TokenizeResponse;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import dev.sekisho.secrets.v1.VerifyHmacRequest;
import dev.sekisho.secrets.v1.VerifyHmacResponse;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;

/**
 * {@code sekisho.secrets.v1.Secrets} over gRPC: the same operations as REST, through the same {@link SecretsVault}
 * (access policies on the caller's verified roles, audit before the answer), and API-key checks for the gateway.
 * Secrets, transit and tokenization have the same checks, limits and audit as over REST.
 */
@GrpcService
@Authenticated
public class SecretsGrpcService implements Secrets {

    @Inject
    SecretsVault vault;

    @Inject
    ApiKeys apiKeys;

    @Inject
    dev.sekisho.secrets.service.Integrations integrations;

    @Inject
    Transit transit;

    @Inject
    Tokenizer tokenizer;

    @Inject
    CurrentIdentityAssociation identities;

    @Override
    public Uni<GetSecretResponse> getSecret(GetSecretRequest request) {
        if (request.getVersion() > Integer.MAX_VALUE) {
            return Uni.createFrom().failure(GrpcProblems.invalidArgument("version is out of range"));
        }
        return call(who -> vault.get(who, request.getPath(), request.getVersion())
                .map(value -> GetSecretResponse.newBuilder().setPath(value.path()).setVersion(value.version()).putAllData(value.data())
                        .setCreatedAt(timestamp(value.createdAt())).setCreatedBy(nonNull(value.createdBy())).build()));
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

    /** The gateway's question for a machine token: is its client an integration's, and where does that stand? */
    @Override
    @RolesAllowed(Permissions.SECRETS_VERIFY_API_KEY)
    public Uni<ClientStandingResponse> clientStanding(ClientStandingRequest request) {
        return integrations.standing(request.getClientId()).map(s -> ClientStandingResponse.newBuilder().setGoverned(s.governed())
                .setIntegrationId(s.integrationId()).setState(s.state()).build());
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
    public Uni<PutSecretResponse> putSecret(PutSecretRequest request) {
        return call(who -> vault.put(who, request.getPath(), request.getDataMap(), request.hasCas() ? request.getCas() : null)
                .map(w -> PutSecretResponse.newBuilder().setPath(w.path()).setVersion(w.version()).setCreatedAt(timestamp(w.createdAt()))
                        .setCreatedBy(w.createdBy()).build()));
    }

    @Override
    public Uni<ListSecretsResponse> listSecrets(ListSecretsRequest request) {
        return call(who -> vault.list(who, request.getPrefix(), request.getAfter(), request.getLimit() == 0 ? 100 : request.getLimit())
                .map(l -> ListSecretsResponse.newBuilder().addAllPaths(l.paths()).setNextCursor(l.nextCursor() == null ? "" : l.nextCursor())
                        .build()));
    }

    @Override
    public Uni<SecretMetadata> getSecretMetadata(GetSecretMetadataRequest request) {
        return call(who -> vault.metadata(who, request.getPath()).map(SecretsGrpcService::metadata));
    }

    @Override
    public Uni<SecretVersionsResponse> deleteSecretVersions(SecretVersionsRequest request) {
        return call(who -> vault.delete(who, request.getPath(), versions(request)).map(v -> changed(request, v)));
    }

    @Override
    public Uni<SecretVersionsResponse> undeleteSecretVersions(SecretVersionsRequest request) {
        return call(who -> vault.undelete(who, request.getPath(), versions(request)).map(v -> changed(request, v)));
    }

    @Override
    public Uni<SecretVersionsResponse> destroySecretVersions(SecretVersionsRequest request) {
        return call(who -> vault.destroy(who, request.getPath(), versions(request)).map(v -> changed(request, v)));
    }

    @Override
    public Uni<EncryptResponse> encrypt(EncryptRequest request) {
        return call(who -> transit.encrypt(who, request.getKeyName(),
                request.getItemsList().stream().map(i -> new Transit.Item(i.getPlaintext().toByteArray(), context(i.getContext()))).toList(),
                request.getKeyVersion()).map(out -> EncryptResponse.newBuilder().addAllCiphertexts(out).build()));
    }

    @Override
    public Uni<DecryptResponse> decrypt(DecryptRequest request) {
        return call(who -> transit.decrypt(who, request.getKeyName(), sealed(request))
                .map(out -> DecryptResponse.newBuilder().addAllPlaintexts(out.stream().map(ByteString::copyFrom).toList()).build()));
    }

    @Override
    public Uni<EncryptResponse> rewrap(DecryptRequest request) {
        return call(who -> transit.rewrap(who, request.getKeyName(), sealed(request))
                .map(out -> EncryptResponse.newBuilder().addAllCiphertexts(out).build()));
    }

    @Override
    public Uni<DataKeyResponse> generateDataKey(DataKeyRequest request) {
        return call(who -> transit.dataKey(who, request.getKeyName(), request.getPlaintext(), request.getBits() == 0 ? 256 : request.getBits(),
                context(request.getContext())).map(k -> {
                    DataKeyResponse.Builder out = DataKeyResponse.newBuilder().setCiphertext(k.ciphertext()).setKeyVersion(k.keyVersion());
                    if (k.plaintext() != null) {
                        out.setPlaintext(ByteString.copyFrom(k.plaintext()));
                    }
                    return out.build();
                }));
    }

    @Override
    public Uni<HmacResponse> hmac(HmacRequest request) {
        return call(who -> transit.hmac(who, request.getKeyName(), request.getInputsList().stream().map(ByteString::toByteArray).toList(),
                request.getKeyVersion()).map(out -> HmacResponse.newBuilder().addAllHmacs(out).build()));
    }

    @Override
    public Uni<VerifyHmacResponse> verifyHmac(VerifyHmacRequest request) {
        return call(who -> transit.verify(who, request.getKeyName(),
                request.getChecksList().stream().map(c -> new Transit.Check(c.getInput().toByteArray(), c.getHmac())).toList())
                .map(out -> VerifyHmacResponse.newBuilder().addAllValid(out).build()));
    }

    @Override
    public Uni<TokenizeResponse> tokenize(TokenizeRequest request) {
        return call(who -> tokenizer.tokenize(who, request.getNamespace(), request.getValuesList(),
                request.getTtlSeconds() == 0 ? null : request.getTtlSeconds()).map(tokens -> TokenizeResponse.newBuilder()
                        .addAllTokens(tokens.stream().map(t -> {
                            IssuedToken.Builder issued = IssuedToken.newBuilder().setToken(t.token());
                            if (t.expiresAt() != null) {
                                issued.setExpiresAt(timestamp(t.expiresAt()));
                            }
                            return issued.build();
                        }).toList()).build()));
    }

    @Override
    public Uni<DetokenizeResponse> detokenize(DetokenizeRequest request) {
        return call(who -> tokenizer.detokenize(who, request.getNamespace(), request.getTokensList()).map(values -> DetokenizeResponse
                .newBuilder().addAllValues(values.stream().map(v -> DetokenizedValue.newBuilder().setToken(v.token())
                        .setValue(v.value() == null ? "" : v.value()).setStatus(v.status()).build()).toList())
                .build()));
    }

    /** The operation for the verified caller, its problems as gRPC statuses. */
    private <T> Uni<T> call(java.util.function.Function<Accessor, Uni<T>> operation) {
        return accessor().chain(who -> Uni.createFrom().deferred(() -> operation.apply(who)))
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    private static List<Transit.Sealed> sealed(DecryptRequest request) {
        return request.getItemsList().stream().map(i -> new Transit.Sealed(i.getCiphertext(), context(i.getContext()))).toList();
    }

    /** gRPC cannot tell an empty context from none: both are none. */
    private static byte[] context(ByteString context) {
        return context.isEmpty() ? null : context.toByteArray();
    }

    private static List<Integer> versions(SecretVersionsRequest request) {
        return request.getVersionsList().stream().map(v -> v > Integer.MAX_VALUE ? -1 : v.intValue()).toList();
    }

    private static SecretVersionsResponse changed(SecretVersionsRequest request, List<Integer> versions) {
        return SecretVersionsResponse.newBuilder().setPath(request.getPath()).addAllVersions(versions).build();
    }

    private static SecretMetadata metadata(SecretsVault.Metadata m) {
        SecretMetadata.Builder out = SecretMetadata.newBuilder().setPath(m.path()).setCurrentVersion(m.currentVersion())
                .setCasRequired(m.casRequired()).setMaxVersions(m.maxVersions()).setOwner(nonNull(m.owner()))
                .setDescription(nonNull(m.description())).setRotationPeriodSeconds(m.rotationPeriodSeconds() == null ? 0 : m.rotationPeriodSeconds())
                .putAllCustomMetadata(m.customMetadata()).addAllAllowedCidrs(m.allowedCidrs()).setReadCount(m.readCount());
        if (m.expiresAt() != null) {
            out.setExpiresAt(timestamp(m.expiresAt()));
        }
        if (m.lastReadAt() != null) {
            out.setLastReadAt(timestamp(m.lastReadAt()));
        }
        for (SecretsVault.VersionInfo v : m.versions()) {
            SecretVersionInfo.Builder info = SecretVersionInfo.newBuilder().setVersion(v.version()).setCreatedAt(timestamp(v.createdAt()))
                    .setCreatedBy(nonNull(v.createdBy()));
            if (v.deletedAt() != null) {
                info.setDeletedAt(timestamp(v.deletedAt()));
            }
            if (v.destroyedAt() != null) {
                info.setDestroyedAt(timestamp(v.destroyedAt()));
            }
            out.addVersions(info);
        }
        return out.build();
    }

    private static String nonNull(String text) {
        return text == null ? "" : text;
    }

    private static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }

    /** The verified caller, resolved without blocking the event loop. */
    private Uni<Accessor> accessor() {
        String peer = PeerAddress.current();
        return identities.getDeferredIdentity().map(identity -> Accessor.of(identity, peer, ""));
    }

}
