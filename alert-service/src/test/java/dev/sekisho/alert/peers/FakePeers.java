package dev.sekisho.alert.peers;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.sekisho.auth.v1.AuthGrpc;
import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.auth.v1.DisableUserResponse;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.BlockResponse;
import dev.sekisho.ratelimit.v1.RateLimiterGrpc;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.RevokeApiKeyResponse;
import dev.sekisho.secrets.v1.SecretsGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * In-process fakes of the peers' gRPC APIs the playbooks call (the only fakes the suite allows: a peer's API in a
 * service's own tests; the real services meet in integration-tests), served by a gRPC server of their own
 * ({@link FakePeersTestResource}). They record what they were asked; auth-service's refuses an admin, as the real
 * one refuses a playbook.
 */
public final class FakePeers {

    public static final List<BlockRequest> BLOCKS = new CopyOnWriteArrayList<>();
    public static final List<DisableUserRequest> DISABLED = new CopyOnWriteArrayList<>();
    public static final List<RevokeApiKeyRequest> REVOKED = new CopyOnWriteArrayList<>();
    public static final String ADMIN = "the-admin";

    private FakePeers() {
    }

    static class FakeRateLimiter extends RateLimiterGrpc.RateLimiterImplBase {
        @Override
        public void block(BlockRequest request, StreamObserver<BlockResponse> response) {
            BLOCKS.add(request);
            response.onNext(BlockResponse.getDefaultInstance());
            response.onCompleted();
        }
    }

    static class FakeAuth extends AuthGrpc.AuthImplBase {
        @Override
        public void disableUser(DisableUserRequest request, StreamObserver<DisableUserResponse> response) {
            if (request.getUser().equals(ADMIN)) {
                response.onError(Status.PERMISSION_DENIED.withDescription("Admins and service accounts are disabled by an admin only.")
                        .asRuntimeException());
                return;
            }
            DISABLED.add(request);
            response.onNext(DisableUserResponse.newBuilder().setUserId("id-" + request.getUser()).setWasEnabled(true).build());
            response.onCompleted();
        }
    }

    static class FakeSecrets extends SecretsGrpc.SecretsImplBase {
        @Override
        public void revokeApiKey(RevokeApiKeyRequest request, StreamObserver<RevokeApiKeyResponse> response) {
            REVOKED.add(request);
            response.onNext(RevokeApiKeyResponse.getDefaultInstance());
            response.onCompleted();
        }
    }
}
