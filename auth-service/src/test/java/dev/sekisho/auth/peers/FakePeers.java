package dev.sekisho.auth.peers;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.SignalAck;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngest;
import dev.sekisho.audit.v1.RecordAck;
import dev.sekisho.audit.v1.RecordBatchAck;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.BlockResponse;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.CheckResponse;
import dev.sekisho.ratelimit.v1.ListBlocksRequest;
import dev.sekisho.ratelimit.v1.ListBlocksResponse;
import dev.sekisho.ratelimit.v1.ListPoliciesRequest;
import dev.sekisho.ratelimit.v1.ListPoliciesResponse;
import dev.sekisho.ratelimit.v1.RateLimiter;
import dev.sekisho.ratelimit.v1.UnblockRequest;
import dev.sekisho.ratelimit.v1.UnblockResponse;
import dev.sekisho.secrets.v1.ClientStandingRequest;
import dev.sekisho.secrets.v1.ClientStandingResponse;
import dev.sekisho.secrets.v1.MutinyIntegrationsGrpc;
import dev.sekisho.secrets.v1.MutinySecretsGrpc;
import dev.sekisho.secrets.v1.OwnerLeftRequest;
import dev.sekisho.secrets.v1.OwnerLeftResponse;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitService;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** In-process fakes of the peers' gRPC APIs: they record what auth-service sends and answer simply. */
public final class FakePeers {

    /** Login attempts per username (Envoy API) and gateway requests per subject (Check) before the fakes say no. */
    public static final int BUDGET = 3;
    public static final String VALID_API_KEY = "sk_test_valid_key";

    public static final List<AuditEvent> AUDIT = new CopyOnWriteArrayList<>();
    public static final List<SecuritySignal> SIGNALS = new CopyOnWriteArrayList<>();
    public static final Map<String, AtomicInteger> SPENT = new ConcurrentHashMap<>();
    /** The leavers secrets-service was asked to suspend the integrations of. */
    public static final List<String> LEAVERS = new CopyOnWriteArrayList<>();
    /** Every gRPC call served by the test instance (see {@link CallRecorder}). */
    public static final List<Call> CALLS = new CopyOnWriteArrayList<>();

    /** A served call: its full method name and whether it carried a bearer token. */
    public record Call(String method, boolean withToken) {
    }

    private FakePeers() {
    }

    public static List<AuditEvent> audited(String action, String actorId) {
        return AUDIT.stream().filter(e -> e.getAction().equals(action) && e.getActor().getId().equals(actorId)).toList();
    }

    @GrpcService
    public static class FakeRateLimiter implements RateLimiter {
        @Override
        public Uni<CheckResponse> check(CheckRequest request) {
            String key = request.getPolicy() + "/" + request.getKeys(0).getValue();
            int spent = SPENT.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            boolean allowed = spent <= BUDGET;
            CheckResponse.Builder response = CheckResponse.newBuilder().setAllowed(allowed).setPolicy(request.getPolicy())
                    .setLimit(BUDGET).setRemaining(Math.max(0, BUDGET - spent));
            if (!allowed) {
                response.setRetryAfter(com.google.protobuf.Duration.newBuilder().setSeconds(42));
            }
            return Uni.createFrom().item(response.build());
        }

        @Override
        public Uni<BlockResponse> block(BlockRequest request) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED.asRuntimeException());
        }

        @Override
        public Uni<UnblockResponse> unblock(UnblockRequest request) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED.asRuntimeException());
        }

        @Override
        public Uni<ListPoliciesResponse> listPolicies(ListPoliciesRequest request) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED.asRuntimeException());
        }

        @Override
        public Uni<ListBlocksResponse> listBlocks(ListBlocksRequest request) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED.asRuntimeException());
        }
    }

    /**
     * Envoy's rate-limit API as auth-service uses it for its attempt budgets: every descriptor has a budget of
     * {@link #BUDGET} per value, except the address 127.0.0.1 every test shares unless it names one (X-Forwarded-For).
     */
    @GrpcService
    public static class FakeEnvoyRateLimit implements RateLimitService {
        @Override
        public Uni<RateLimitResponse> shouldRateLimit(RateLimitRequest request) {
            RateLimitResponse.Builder response = RateLimitResponse.newBuilder().setOverallCode(RateLimitResponse.Code.OK);
            for (var descriptor : request.getDescriptorsList()) {
                var entry = descriptor.getEntries(0);
                RateLimitResponse.DescriptorStatus.Builder status = RateLimitResponse.DescriptorStatus.newBuilder()
                        .setCode(RateLimitResponse.Code.OK);
                if (!entry.getValue().equals("127.0.0.1")) {
                    int spent = SPENT.computeIfAbsent(request.getDomain() + "/" + entry.getKey() + "/" + entry.getValue(),
                            k -> new AtomicInteger()).incrementAndGet();
                    if (spent > BUDGET) {
                        status.setCode(RateLimitResponse.Code.OVER_LIMIT)
                                .setDurationUntilReset(com.google.protobuf.Duration.newBuilder().setSeconds(42));
                        response.setOverallCode(RateLimitResponse.Code.OVER_LIMIT);
                    }
                }
                response.addStatuses(status);
            }
            return Uni.createFrom().item(response.build());
        }
    }

    @GrpcService
    public static class FakeAudit implements AuditIngest {
        @Override
        public Uni<RecordAck> record(AuditEvent event) {
            AUDIT.add(event);
            return Uni.createFrom().item(RecordAck.newBuilder().setEventId(event.getEventId()).setSequence(AUDIT.size()).build());
        }

        @Override
        public Multi<RecordBatchAck> recordStream(Multi<AuditEvent> events) {
            return Multi.createFrom().failure(Status.UNIMPLEMENTED.asRuntimeException());
        }
    }

    @GrpcService
    public static class FakeAlerts extends dev.sekisho.alert.v1.MutinyAlertsGrpc.AlertsImplBase {
        @Override
        public Uni<SignalAck> signal(SecuritySignal signal) {
            SIGNALS.add(signal);
            return Uni.createFrom().item(SignalAck.newBuilder().setSignalId(signal.getSignalId()).build());
        }
    }

    /** Only the gateway's question is answered; the rest of the API is UNIMPLEMENTED, as the base class answers. */
    @GrpcService
    public static class FakeSecrets extends MutinySecretsGrpc.SecretsImplBase {
        @Override
        public Uni<VerifyApiKeyResponse> verifyApiKey(VerifyApiKeyRequest request) {
            boolean valid = VALID_API_KEY.equals(request.getApiKey());
            return Uni.createFrom().item(valid
                    ? VerifyApiKeyResponse.newBuilder().setValid(true).setKeyId("key-1").setOwner("integration-1")
                            .addRoles("operator").build()
                    : VerifyApiKeyResponse.newBuilder().setValid(false).setReason("unknown").build());
        }

        /** No client is an integration's here: machine tokens are judged as any service's. */
        @Override
        public Uni<ClientStandingResponse> clientStanding(ClientStandingRequest request) {
            return Uni.createFrom().item(ClientStandingResponse.newBuilder().setGoverned(false).build());
        }
    }

    /** The registry's leaver call: recorded, answered with no integration suspended. */
    @GrpcService
    public static class FakeIntegrations extends MutinyIntegrationsGrpc.IntegrationsImplBase {
        @Override
        public Uni<OwnerLeftResponse> suspendIntegrationsOwnedBy(OwnerLeftRequest request) {
            LEAVERS.add(request.getOwner());
            return Uni.createFrom().item(OwnerLeftResponse.getDefaultInstance());
        }
    }

    /** Waits for the outbox relay to deliver what a test expects. */
    public static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not delivered within 10 s: " + what);
            }
            dev.sekisho.testing.servers.Ports.sleep(50);
        }
    }
}
