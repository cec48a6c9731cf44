package dev.sekisho.ratelimit.grpc;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.ratelimit.repository.BlockStore;
import dev.sekisho.ratelimit.policy.PolicyRegistry;
import dev.sekisho.ratelimit.policy.Rule;
import dev.sekisho.ratelimit.service.BlockCommands;
import dev.sekisho.ratelimit.service.CheckResult;
import dev.sekisho.ratelimit.service.RateLimitDecider;
import dev.sekisho.ratelimit.v1.Block;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.BlockResponse;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.CheckResponse;
import dev.sekisho.ratelimit.v1.Identity;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.ratelimit.v1.Key;
import dev.sekisho.ratelimit.v1.ListBlocksRequest;
import dev.sekisho.ratelimit.v1.ListBlocksResponse;
import dev.sekisho.ratelimit.v1.ListPoliciesRequest;
import dev.sekisho.ratelimit.v1.ListPoliciesResponse;
import dev.sekisho.ratelimit.v1.Policy;
import dev.sekisho.ratelimit.v1.RateLimiter;
import dev.sekisho.ratelimit.v1.UnblockRequest;
import dev.sekisho.ratelimit.v1.UnblockResponse;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** Sekisho's own rate-limit API over gRPC ({@code sekisho.ratelimit.v1.RateLimiter}); REST has the same. */
@GrpcService
public class RateLimiterGrpcService implements RateLimiter {

    @Inject
    RateLimitDecider decider;

    @Inject
    BlockCommands blocks;

    @Inject
    PolicyRegistry policies;

    @Override
    public Uni<CheckResponse> check(CheckRequest request) {
        return Uni.createFrom().deferred(() -> {
            Map<String, String> keys = new LinkedHashMap<>();
            for (Key key : request.getKeysList()) {
                if (keys.put(key.getName(), key.getValue()) != null) {
                    throw ProblemException.badRequest("key " + key.getName() + " is given twice");
                }
            }
            return decider.check(request.getPolicy(), keys, Integer.toUnsignedLong(request.getCost()), request.getTenant());
        }).map(RateLimiterGrpcService::response).onFailure(ProblemException.class).transform(RateLimiterGrpcService::status);
    }

    @Override
    @RolesAllowed({Permissions.ADMIN, Permissions.RATELIMIT_BLOCK})
    public Uni<BlockResponse> block(BlockRequest request) {
        Duration duration = Duration.ofSeconds(request.getDuration().getSeconds(), request.getDuration().getNanos());
        return blocks.block(type(request.getIdentity()), request.getIdentity().getValue(), duration, request.getReason())
                .map(b -> BlockResponse.newBuilder().setBlock(block(b)).build())
                .onFailure(ProblemException.class).transform(RateLimiterGrpcService::status);
    }

    @Override
    @RolesAllowed({Permissions.ADMIN, Permissions.RATELIMIT_BLOCK})
    public Uni<UnblockResponse> unblock(UnblockRequest request) {
        return blocks.unblock(type(request.getIdentity()), request.getIdentity().getValue())
                .map(removed -> UnblockResponse.newBuilder().setRemoved(removed).build())
                .onFailure(ProblemException.class).transform(RateLimiterGrpcService::status);
    }

    @Override
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR, Permissions.RATELIMIT_READ})
    public Uni<ListPoliciesResponse> listPolicies(ListPoliciesRequest request) {
        ListPoliciesResponse.Builder response = ListPoliciesResponse.newBuilder();
        policies.current().namedRules().stream().sorted(java.util.Comparator.comparing(Rule::name))
                .forEach(rule -> response.addPolicies(policy(rule)));
        return Uni.createFrom().item(response.build());
    }

    @Override
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR, Permissions.RATELIMIT_READ})
    public Uni<ListBlocksResponse> listBlocks(ListBlocksRequest request) {
        return Uni.createFrom().deferred(() -> {
            String type = request.getType() == IdentityType.IDENTITY_TYPE_UNSPECIFIED ? null : typeName(request.getType());
            ListBlocksResponse.Builder response = ListBlocksResponse.newBuilder();
            blocks.list(type).forEach(b -> response.addBlocks(block(b)));
            return Uni.createFrom().item(response.build());
        }).onFailure(ProblemException.class).transform(RateLimiterGrpcService::status);
    }

    private static CheckResponse response(CheckResult result) {
        CheckResponse.Builder response = CheckResponse.newBuilder()
                .setPolicy(result.policy())
                .setAllowed(result.allowed())
                .setLimit(result.limit())
                .setRemaining(result.remaining())
                .setResetAfter(duration(result.resetAfterMillis()))
                .setDegraded(result.degraded())
                .setShadowLimited(result.shadowLimited())
                .setBlocked(result.blocked());
        if (!result.allowed()) {
            response.setRetryAfter(duration(result.retryAfterMillis()));
        }
        return response.build();
    }

    private static Policy policy(Rule rule) {
        return Policy.newBuilder()
                .setName(rule.name())
                .setDomain(rule.domain())
                .setAlgorithm(rule.algorithm().configName())
                .setLimit(rule.unlimited() ? 0 : rule.limit())
                .setWindow(duration(rule.window().toMillis()))
                .setBurst(rule.burst())
                .setFailMode(rule.failMode().name().toLowerCase(Locale.ROOT))
                .setShadowMode(rule.shadowMode())
                .build();
    }

    private static Block block(BlockStore.Block b) {
        return Block.newBuilder()
                .setIdentity(Identity.newBuilder().setType(IdentityType.valueOf("IDENTITY_TYPE_" + b.type().name())).setValue(b.value()))
                .setReason(b.reason())
                .setCreatedBy(b.createdBy())
                .setCreatedAt(Timestamp.newBuilder().setSeconds(b.createdAt().getEpochSecond()).setNanos(b.createdAt().getNano()))
                .setExpiresAt(Timestamp.newBuilder().setSeconds(b.expiresAt().getEpochSecond()).setNanos(b.expiresAt().getNano()))
                .build();
    }

    private static String type(Identity identity) {
        return identity.getType() == IdentityType.IDENTITY_TYPE_UNSPECIFIED || identity.getType() == IdentityType.UNRECOGNIZED
                ? "" : typeName(identity.getType());
    }

    private static String typeName(IdentityType type) {
        if (type == IdentityType.UNRECOGNIZED) {
            throw ProblemException.badRequest("unknown identity type");
        }
        return type.name().substring("IDENTITY_TYPE_".length());
    }

    private static com.google.protobuf.Duration duration(long millis) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
    }

    private static Throwable status(Throwable e) {
        return GrpcProblems.toStatus((ProblemException) e);
    }
}
