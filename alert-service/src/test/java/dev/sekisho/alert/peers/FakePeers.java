package dev.sekisho.alert.peers;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.auth.v1.DisableUserResponse;
import dev.sekisho.auth.v1.MutinyAuthGrpc;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.BlockResponse;
import dev.sekisho.ratelimit.v1.MutinyRateLimiterGrpc;
import dev.sekisho.secrets.v1.MutinySecretsGrpc;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.RevokeApiKeyResponse;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * In-process fakes of the peers' gRPC APIs the playbooks call (the only fakes the suite allows: a peer's API in a
 * service's own tests; the real services meet in integration-tests). They record what they were asked; auth-service's
 * refuses an admin, as the real one refuses a playbook.
 */
public final class FakePeers {

    public static final List<BlockRequest> BLOCKS = new CopyOnWriteArrayList<>();
    public static final List<DisableUserRequest> DISABLED = new CopyOnWriteArrayList<>();
    public static final List<RevokeApiKeyRequest> REVOKED = new CopyOnWriteArrayList<>();
    public static final String ADMIN = "the-admin";

    private FakePeers() {
    }

    @GrpcService
    public static class FakeRateLimiter extends MutinyRateLimiterGrpc.RateLimiterImplBase {
        @Override
        public Uni<BlockResponse> block(BlockRequest request) {
            BLOCKS.add(request);
            return Uni.createFrom().item(BlockResponse.getDefaultInstance());
        }
    }

    @GrpcService
    public static class FakeAuth extends MutinyAuthGrpc.AuthImplBase {
        @Override
        public Uni<DisableUserResponse> disableUser(DisableUserRequest request) {
            if (request.getUser().equals(ADMIN)) {
                return Uni.createFrom().failure(Status.PERMISSION_DENIED.withDescription("Admins and service accounts are disabled by an admin only.")
                        .asRuntimeException());
            }
            DISABLED.add(request);
            return Uni.createFrom().item(DisableUserResponse.newBuilder().setUserId("id-" + request.getUser()).setWasEnabled(true).build());
        }
    }

    @GrpcService
    public static class FakeSecrets extends MutinySecretsGrpc.SecretsImplBase {
        @Override
        public Uni<RevokeApiKeyResponse> revokeApiKey(RevokeApiKeyRequest request) {
            REVOKED.add(request);
            return Uni.createFrom().item(RevokeApiKeyResponse.getDefaultInstance());
        }
    }
}
